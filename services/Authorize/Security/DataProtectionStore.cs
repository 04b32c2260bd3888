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
        services.AddSealedDataProtection("oauthaspire-authorize", box);
        services.AddOptions<KeyManagementOptions>().Configure<NpgsqlDataSource>((o, db) => o.XmlRepository = new Repository(db));
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

    /// <summary>Named by the keys written before the decryptor moved to ServiceDefaults: they still open.</summary>
    public sealed class Decryptor(IServiceProvider services) : IXmlDecryptor
    {
        private readonly SealedKeyRing.Decryptor _inner = new(services);

        public XElement Decrypt(XElement encryptedElement) => _inner.Decrypt(encryptedElement);
    }
}
