using OAuthAspire.ServiceDefaults.Admin;

namespace OAuthAspire.ServiceDefaults.Tests;

public sealed class AdminScopeTests
{
    [Theory]
    [InlineData("admin")]
    [InlineData("oauth_admin")]
    [InlineData("mi_admin")]
    public void AnAdministratorsGrantKeepsAdminApi(string role) =>
        Assert.Equal(["openid", "admin.api"], AdminApi.GrantableTo(["openid", "admin.api"], ["itil", role]));

    [Fact]
    public void AnyOtherUsersGrantLosesAdminApiAndKeepsTheRest()
    {
        Assert.Equal(["openid", "useraccount"], AdminApi.GrantableTo(["openid", "admin.api", "useraccount"], ["itil"]));
        Assert.Empty(AdminApi.GrantableTo(["admin.api"], []));
    }
}
