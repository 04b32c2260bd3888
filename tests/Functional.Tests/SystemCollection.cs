namespace OAuthAspire.Functional.Tests;

/// <summary>
/// The functional tests share one running system. A collection is defined in the assembly of its
/// tests (xunit looks there), so it lives here while its fixture lives in Testing.Common.
/// </summary>
[CollectionDefinition(Name)]
public sealed class SystemCollection : ICollectionFixture<SystemFixture>
{
    public const string Name = "system";
}
