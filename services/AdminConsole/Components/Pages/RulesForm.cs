using System.Text.Json.Nodes;
using OAuthAspire.AdminConsole.Api;

namespace OAuthAspire.AdminConsole.Components.Pages;

/// <summary>An API policy's rules as text, one per line: <c>GET,POST /api/x/** scope-a scope-b</c> (<c>*</c>: any method).</summary>
public sealed class RulesForm
{
    public string Rules { get; set; } = "";

    public static string Write(IEnumerable<ApiRuleView> rules) => string.Join('\n', rules.Select(r =>
        $"{(r.Methods.Length == 0 ? "*" : string.Join(',', r.Methods))} {r.Resource} {string.Join(' ', r.Scopes)}".TrimEnd()));

    /// <summary>The rules as the admin API takes them; false, naming the line, when a line has no resource.</summary>
    public static bool TryRead(string text, out JsonArray rules, out string? error)
    {
        rules = [];
        error = null;
        var number = 0;
        foreach (var line in text.Split('\n').Select(l => l.Trim()))
        {
            number++;
            if (line.Length == 0)
            {
                continue;
            }

            var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length < 2)
            {
                error = $"line {number}: write the methods, then the resource, then the scopes";
                return false;
            }

            var methods = parts[0] == "*" ? [] : parts[0].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            rules.Add(new JsonObject
            {
                ["methods"] = ApplicationForm.Array(methods.Select(m => m.ToUpperInvariant())),
                ["resource"] = parts[1],
                ["scopes"] = ApplicationForm.Array(parts[2..]),
            });
        }

        return true;
    }
}
