using System.Xml.Linq;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.AspNetCore.DataProtection.XmlEncryption;
using Microsoft.Extensions.DependencyInjection;

namespace OAuthAspire.ServiceDefaults.Security;

/// <summary>
/// A Data Protection key ring encrypted at rest with a <see cref="SecretBox"/> (AES-GCM under a
/// configured key), wherever its XML is kept: every replica that holds the key reads what another wrote.
/// </summary>
public static class SealedKeyRing
{
    /// <summary>Data Protection for <paramref name="applicationName"/>, its keys sealed by <paramref name="box"/>; the caller chooses where they are kept.</summary>
    public static IDataProtectionBuilder AddSealedDataProtection(this IServiceCollection services, string applicationName, SecretBox box)
    {
        services.AddSingleton(box);
        services.AddOptions<KeyManagementOptions>().Configure(o => o.XmlEncryptor = new Encryptor(box));
        return services.AddDataProtection().SetApplicationName(applicationName);
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
