using OAuthAspire.Authorize.Authorization;
using OAuthAspire.Authorize.Clients;
using OAuthAspire.Contracts.Grpc.ClientRegistry;

namespace OAuthAspire.Authorize.Tests;

/// <summary>
/// A native app (a public client redirecting to loopback or a private-use scheme) can be
/// impersonated by another app on the device, so its consent is asked every time (RFC 8252 §8.6);
/// a web app's, or any confidential client's, is remembered.
/// </summary>
public class ConsentMemoryTests
{
    private static RegisteredClient Registered(bool isPublic) =>
        new(new Client { ClientId = "notes-app", Name = "Notes", Public = isPublic, Active = true, Version = 1 });

    [Theory]
    [InlineData("com.example.notes:/oauth2redirect")]
    [InlineData("http://127.0.0.1:53123/callback")]
    [InlineData("http://[::1]:53123/callback")]
    [InlineData("http://localhost:8080/callback")]
    public void ANativeAppIsAskedEveryTime(string redirectUri) => Assert.True(AuthorizationFlow.AsksEveryTime(Registered(isPublic: true), redirectUri));

    [Theory]
    [InlineData("https://notes.example.com/callback")]
    [InlineData("https://notes.example.com:8443/callback")]
    public void APublicWebAppsConsentIsRemembered(string redirectUri) =>
        Assert.False(AuthorizationFlow.AsksEveryTime(Registered(isPublic: true), redirectUri));

    [Theory]
    [InlineData("com.example.notes:/oauth2redirect")]
    [InlineData("http://127.0.0.1:53123/callback")]
    public void AConfidentialClientHoldsASecretNoOtherAppHasSoItsConsentIsRemembered(string redirectUri) =>
        Assert.False(AuthorizationFlow.AsksEveryTime(Registered(isPublic: false), redirectUri));
}
