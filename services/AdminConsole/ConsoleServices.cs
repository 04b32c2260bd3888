using Microsoft.AspNetCore.DataProtection;
using OAuthAspire.AdminConsole.Api;
using OAuthAspire.AdminConsole.Components;
using OAuthAspire.AdminConsole.Security;
using OAuthAspire.Protocol.Discovery;
using OAuthAspire.ServiceDefaults;
using OAuthAspire.ServiceDefaults.Security;

namespace OAuthAspire.AdminConsole;

public static class ConsoleServices
{
    public static WebApplicationBuilder AddConsoleServices(this WebApplicationBuilder builder)
    {
        builder.AddServiceDefaults();
        var settings = ConsoleSettings.From(builder.Configuration, builder.Environment.IsDevelopment());
        builder.Services.AddSingleton(settings);
        builder.Services.AddSingleton(TimeProvider.System);

        // Its session cookies and antiforgery tokens, readable by every replica: one key ring in a
        // directory they share, sealed under the console's own key (it holds no database).
        builder.Services.AddSealedDataProtection("oauthaspire-console", new SecretBox(settings.KeyRingKey, "oauthaspire console keys v1"))
            .PersistKeysToFileSystem(new DirectoryInfo(settings.KeyRingPath));

        builder.Services.AddConsoleSignIn(settings);
        builder.Services.AddHttpContextAccessor();
        builder.Services.AddHttpClient<AdminApi>(http => http.BaseAddress = new Uri(settings.Issuer + "/"));
        builder.Services.AddRazorComponents();
        builder.Services.AddAntiforgery(o =>
        {
            o.Cookie.Name = AdminConsoleApp.CookiePrefix + "-af";
            o.Cookie.Path = AdminConsoleApp.Path;
            o.Cookie.SecurePolicy = settings.CookieSecurity;
        });
        return builder;
    }

    public static WebApplication MapConsole(this WebApplication app)
    {
        // Reached through the edge at {issuer}/console; everything it links to is under that base.
        app.UsePathBase(AdminConsoleApp.Path);
        app.UseExceptionHandler("/error", createScopeForErrors: true);
        app.UseMiddleware<ConsoleHeaders>();
        app.UseStaticFiles();
        app.UseAuthentication();
        app.UseAuthorization();
        app.UseAntiforgery();
        app.MapDefaultEndpoints();
        app.MapSignInEndpoints();
        app.MapRazorComponents<App>().RequireAuthorization();
        return app;
    }
}
