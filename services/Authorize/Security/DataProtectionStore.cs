using System.Xml.Linq;
using Dapper;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.AspNetCore.DataProtection.Repositories;
using Microsoft.AspNetCore.DataProtection.XmlEncryption;
using Npgsql;
using OAuthAspire.ServiceDefaults.Security;

namespace OAuthAspire.Authorize.Security;

/// <summary>
/// ASP.NET Core Data Protection keys (they protect antiforgery tokens) kept in PostgreSQL, so every
/// replica accepts what another issued, and encrypted at rest under the key that encrypts keys at
/// rest (<c>Keys:EncryptionKey</c>, as the token and client-registry services' keys are).
/// </summary>
public static class DataProtectionStore
{
    public static IServiceCollection AddSharedDataProtection(this IServiceCollection services, IConfiguration configuration)
    {
        var box = new SecretBox(configuration["Keys:EncryptionKey"] ?? "", "oauthaspire data protection keys v1");
        services.AddDataProtection().SetApplicationName("oauthaspire-authorize");
        services.AddOptions<KeyManagementOptions>().Configure<NpgsqlDataSource>((o, db) =>
        {
            o.XmlRepository = new Repository(db);
            o.XmlEncryptor = new Encryptor(box);
        });
        services.AddSingleton(box);
        return services;
    }

    private sealed class Repository(NpgsqlDataSource db) : IXmlRepository
    {
        public IReadOnlyCollection<XElement> GetAllElements()
        {
            using var connection = db.OpenConnection();
            return connection.Query<string>("SELECT xml FROM data_protection_key ORDER BY name").Select(XElement.Parse).ToArray();
        }

        public void StoreElement(XElement element, string friendlyName)
        {
            using var connection = db.OpenConnection();
            connection.Execute("INSERT INTO data_protection_key (name, xml) VALUES (@friendlyName, @xml) ON CONFLICT (name) DO NOTHING",
                new { friendlyName, xml = element.ToString(SaveOptions.DisableFormatting) });
        }
    }

    private sealed class Encryptor(SecretBox box) : IXmlEncryptor
    {
        public EncryptedXmlInfo Encrypt(XElement plaintextElement)
        {
            var sealedBytes = box.Seal(System.Text.Encoding.UTF8.GetBytes(plaintextElement.ToString(SaveOptions.DisableFormatting)), "dp");
            return new EncryptedXmlInfo(new XElement("sealed", Convert.ToBase64String(sealedBytes)), typeof(Decryptor));
        }
    }

    /// <summary>Created by Data Protection through its activator, hence the service-provider constructor.</summary>
    public sealed class Decryptor(IServiceProvider services) : IXmlDecryptor
    {
        public XElement Decrypt(XElement encryptedElement) =>
            XElement.Parse(System.Text.Encoding.UTF8.GetString(services.GetRequiredService<SecretBox>().Open(Convert.FromBase64String(encryptedElement.Value), "dp")));
    }
}
