using System.Text.RegularExpressions;

namespace OAuthAspire.ServiceDefaults.Tests;

/// <summary>
/// Inside each project of services/ and ServiceDefaults/, a folder is a namespace
/// (<c>OAuthAspire.&lt;Project&gt;.&lt;Folder&gt;</c>) and no folder uses, through others, a folder that uses
/// it: each can be read and changed above the ones it uses. A folder uses another when a file in it
/// (whole-line comments aside) has a <c>using</c> of that namespace (plain, static or alias), names
/// it fully (<c>OAuthAspire.&lt;Project&gt;.&lt;Other&gt;.</c>), or qualifies one of its types by the
/// folder alone (<c>Other.Type</c>: sibling namespaces see each other by that short name). Any
/// other way of reaching another folder's type needs one of these, so the rule sees every use. The
/// project's own root (Program.cs, the service's registration) wires every folder and is left out:
/// its namespace is the parent of the others, which see it without a using.
/// </summary>
public sealed partial class FolderGraphTests
{
    [GeneratedRegex(@"^\s*//.*$", RegexOptions.Multiline)]
    private static partial Regex CommentLine();

    [GeneratedRegex(@"^namespace\s+(?<name>[\w.]+)\s*;", RegexOptions.Multiline)]
    private static partial Regex FileScopedNamespace();

    /// <summary>A top-level type: with file-scoped namespaces, declared at the start of a line.</summary>
    [GeneratedRegex(@"^(?:(?:public|internal|static|sealed|abstract|partial|readonly|file|ref)\s+)*(?:class|record|struct|interface|enum)\s+(?:class\s+|struct\s+)?(?<name>\w+)",
        RegexOptions.Multiline)]
    private static partial Regex TypeDeclaration();

    /// <summary>A using of, or a name fully qualified by, a namespace of ours.</summary>
    [GeneratedRegex(@"\bOAuthAspire\.(?<project>\w+)\.(?<folder>\w+)")]
    private static partial Regex OurNamespace();

    /// <summary>A name qualified by one identifier only (not part of a longer dotted name).</summary>
    [GeneratedRegex(@"(?<![\w.])(?<folder>[A-Z]\w*)\.(?<type>[A-Z]\w*)\b")]
    private static partial Regex ShortQualifiedName();

    [Fact]
    public void NoProjectHasACycleBetweenItsFolders()
    {
        var projects = Projects();
        Assert.True(projects.Length >= 9, $"only {projects.Length} projects under services/ and ServiceDefaults/");
        var cycles = projects
            .Select(p => (p.Name, Graph: FolderGraph(p.Name, SourcesOf(p.Dir))))
            .Select(p => (p.Name, p.Graph, Left: Cycle(p.Graph)))
            .Where(p => p.Left.Count > 0)
            .Select(p => $"{p.Name}: " + string.Join("; ", p.Left.Select(f => $"{f} -> {string.Join(", ", p.Graph[f].Where(p.Left.Contains).Order(StringComparer.Ordinal))}")))
            .ToArray();
        Assert.True(cycles.Length == 0, "Folders that use each other (move the type behind the edge back to the folder it belongs to):\n"
            + string.Join("\n", cycles));
    }

    [Fact]
    public void EveryFileIsInTheNamespaceOfItsFolder()
    {
        var wrong = Projects()
            .SelectMany(p => SourcesOf(p.Dir).Select(s => (s.Folder, s.Path, Expected: $"OAuthAspire.{p.Name}.{s.Folder}",
                Actual: FileScopedNamespace().Match(s.Source) is { Success: true } m ? m.Groups["name"].Value : "(none)")))
            .Where(s => s.Actual != s.Expected && !s.Actual.StartsWith(s.Expected + ".", StringComparison.Ordinal))
            .Select(s => $"{Path.GetRelativePath(AuditCatalogTests.Root, s.Path)}: {s.Actual}, not {s.Expected}")
            .ToArray();
        Assert.Empty(wrong);
    }

    [Fact]
    public void TheRuleSeesUsingsFullNamesAndFolderQualifiedTypesButNotComments()
    {
        var graph = FolderGraph("Demo",
        [
            ("A", "A.cs", "using OAuthAspire.Demo.B;\n\nnamespace OAuthAspire.Demo.A;\n\npublic sealed class First(Second second);\n"),
            ("B", "B.cs", "namespace OAuthAspire.Demo.B;\n\npublic sealed record Second(C.Third Third);\n"),
            ("C", "C.cs", "namespace OAuthAspire.Demo.C;\n\n// using OAuthAspire.Demo.A;\n/// <see cref=\"A.First\"/>\npublic sealed class Third;\n"),
            ("D", "D.cs", "namespace OAuthAspire.Demo.D;\n\npublic static class Fourth\n{\n    public static object Make() => new OAuthAspire.Demo.C.Third();\n}\n"),
        ]);
        Assert.Equal("B", Assert.Single(graph["A"]));
        Assert.Equal("C", Assert.Single(graph["B"]));
        Assert.Empty(graph["C"]);
        Assert.Equal("C", Assert.Single(graph["D"]));
        Assert.Empty(Cycle(graph));

        graph["C"].Add("A");
        Assert.Equal("A B C", string.Join(' ', Cycle(graph)));
    }

    /// <summary>Every project under services/, and ServiceDefaults/: the folder and the name its namespaces carry.</summary>
    private static (string Name, string Dir)[] Projects() =>
    [
        .. Directory.EnumerateDirectories(Path.Combine(AuditCatalogTests.Root, "services"))
            .Append(Path.Combine(AuditCatalogTests.Root, "ServiceDefaults"))
            .Where(dir => Directory.EnumerateFiles(dir, "*.csproj").Any())
            .Select(dir => (new DirectoryInfo(dir).Name, dir))
            .Order(),
    ];

    /// <summary>The C# files in the project's folders (not its root, not build output), each with its top folder.</summary>
    private static (string Folder, string Path, string Source)[] SourcesOf(string projectDir) =>
    [
        .. Directory.EnumerateFiles(projectDir, "*.cs", SearchOption.AllDirectories)
            .Select(path => (Parts: Path.GetRelativePath(projectDir, path).Split(Path.DirectorySeparatorChar), Path: path))
            .Where(f => f.Parts.Length > 1 && f.Parts[0] is not ("obj" or "bin"))
            .Select(f => (f.Parts[0], f.Path, File.ReadAllText(f.Path))),
    ];

    /// <summary>Folder → the other folders of the same project it uses.</summary>
    private static Dictionary<string, HashSet<string>> FolderGraph(string project, IReadOnlyList<(string Folder, string Path, string Source)> sources)
    {
        var code = sources.Select(s => (s.Folder, Code: CommentLine().Replace(s.Source, ""))).ToArray();
        var types = code.GroupBy(s => s.Folder, StringComparer.Ordinal).ToDictionary(g => g.Key,
            g => g.SelectMany(s => TypeDeclaration().Matches(s.Code).Select(m => m.Groups["name"].Value)).ToHashSet(StringComparer.Ordinal),
            StringComparer.Ordinal);
        var graph = types.Keys.ToDictionary(f => f, _ => new HashSet<string>(StringComparer.Ordinal), StringComparer.Ordinal);
        foreach (var (folder, text) in code)
        {
            var used = OurNamespace().Matches(text).Where(m => m.Groups["project"].Value == project).Select(m => m.Groups["folder"].Value)
                .Concat(ShortQualifiedName().Matches(text)
                    .Where(m => types.TryGetValue(m.Groups["folder"].Value, out var declared) && declared.Contains(m.Groups["type"].Value))
                    .Select(m => m.Groups["folder"].Value));
            graph[folder].UnionWith(used.Where(other => other != folder && graph.ContainsKey(other)));
        }

        return graph;
    }

    /// <summary>
    /// The folders left once every folder that uses none of those left, or that none of them uses,
    /// is taken away, again and again: none unless some folders use each other.
    /// </summary>
    private static List<string> Cycle(Dictionary<string, HashSet<string>> graph)
    {
        var left = graph.Keys.ToHashSet(StringComparer.Ordinal);
        while (left.FirstOrDefault(f => !graph[f].Any(left.Contains) || !left.Any(other => graph[other].Contains(f))) is { } end)
        {
            left.Remove(end);
        }

        return [.. left.Order(StringComparer.Ordinal)];
    }
}
