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

    [Fact]
    public void AnAuditorsGrantKeepsAdminApiButTheAuditorRoleAdministersNothingAndNoAdminReadsTheAudit()
    {
        Assert.Equal(["openid", "admin.api"], AdminApi.GrantableTo(["openid", "admin.api"], ["auditor"]));
        Assert.True(AdminApi.IsAuditor(["admin.api"], ["auditor"]));
        Assert.False(AdminApi.IsAdmin(["admin.api"], ["auditor"]));
        Assert.False(AdminApi.IsAuditor(["admin.api"], ["admin"]));
        Assert.False(AdminApi.IsAuditor(["openid"], ["auditor"]));
    }

    [Theory]
    [InlineData("/api/admin/audit", true)]
    [InlineData("/api/admin/audit/events", true)]
    [InlineData("/api/admin/Audit/events", true)]
    [InlineData("/API/ADMIN/AUDIT", true)]
    [InlineData("/api/admin/auditors", false)]
    [InlineData("/api/admin/users/audit", false)]
    public void OnlyPathsUnderTheAuditPrefixAreTheAuditorsRule(string path, bool audit) =>
        Assert.Equal(audit, AdminApi.IsAuditPath(path));
}
