using System.Text.RegularExpressions;

namespace OAuthAspire.ServiceDefaults.Tests;

/// <summary>docs/SECURITY.md names only tests that exist, and a test for every requirement it claims met.</summary>
public partial class SecurityDocumentTests
{
    [GeneratedRegex(@"`(?<class>\w+Tests)\.(?<method>\w+)`")]
    private static partial Regex TestReference();

    [Fact]
    public void EveryTestTheDocumentNamesExists()
    {
        var root = AuditCatalogTests.Root;
        var sources = Directory.EnumerateFiles(Path.Combine(root, "tests"), "*Tests.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}"))
            .GroupBy(f => Path.GetFileNameWithoutExtension(f))
            .ToDictionary(g => g.Key, g => string.Join("\n", g.Select(File.ReadAllText)));
        var references = TestReference().Matches(File.ReadAllText(Path.Combine(root, "docs", "SECURITY.md"))).ToArray();
        Assert.True(references.Length >= 40, $"only {references.Length} test references");
        var missing = references
            .Where(m => !sources.TryGetValue(m.Groups["class"].Value, out var source)
                || !Regex.IsMatch(source, $@"public (async Task|void) {m.Groups["method"].Value}\("))
            .Select(m => m.Value)
            .ToArray();
        Assert.Empty(missing);
    }

    [Fact]
    public void EveryRequirementClaimedMetNamesATest()
    {
        var rows = File.ReadAllLines(Path.Combine(AuditCatalogTests.Root, "docs", "SECURITY.md"))
            .Where(line => line.StartsWith("| ", StringComparison.Ordinal) && line.Contains("| met |", StringComparison.Ordinal));
        var untested = rows.Where(row => !TestReference().IsMatch(row)).ToArray();
        Assert.Empty(untested);
        Assert.True(rows.Count() >= 20);
    }
}
