using System.Text.RegularExpressions;
using OAuthAspire.ServiceDefaults;

namespace OAuthAspire.Functional.Tests;

/// <summary>
/// The call graph drawn in README.md ("Architecture") is the system's: the AppHost's model, built
/// but never started, references exactly its edges and waits along them; it has no cycle; and every
/// RPC's allowed callers (<see cref="AllowedCalls"/>) call along its edges. Not in the shared-system
/// collection: nothing here starts the system.
/// </summary>
public sealed partial class ArchitectureTests
{
    private static readonly string Root = FindRoot();

    /// <summary>One edge of the README's diagram, in the one form it is written in: four spaces, caller, <c>--&gt;</c>, callee.</summary>
    [GeneratedRegex(@"^    (?<caller>[a-z][a-z-]*) --> (?<callee>[a-z][a-z-]*)$")]
    private static partial Regex EdgeLine();

    [Fact]
    public async Task TheAppHostReferencesExactlyTheServicesTheReadmeSaysEachCalls()
    {
        var readme = ReadmeEdges();
        var model = await AppHostModel.GetAsync();

        var missing = readme.Except(model.References).Select(Show).Order(StringComparer.Ordinal).ToArray();
        var extra = model.References.Except(readme).Select(Show).Order(StringComparer.Ordinal).ToArray();
        Assert.True(missing.Length == 0 && extra.Length == 0,
            "AppHost/Program.cs and README.md's \"Architecture\" graph differ.\n"
            + $"In the README but not referenced by the AppHost: {string.Join(", ", missing)}\n"
            + $"Referenced by the AppHost but not in the README: {string.Join(", ", extra)}");
    }

    [Fact]
    public async Task EveryCallBetweenServicesWaitsForItsCalleeAndNoWaitIsWithoutACall()
    {
        var model = await AppHostModel.GetAsync();

        // The graph is acyclic, so every caller can start after its callees. The APIs behind the edge
        // are outside the system: the issuer starts without them (a call to one that is down is a 503).
        var notWaiting = model.References.Where(e => ServiceNames.All.Contains(e.Callee) && !model.Waits.Contains(e))
            .Select(Show).Order(StringComparer.Ordinal).ToArray();
        Assert.True(notWaiting.Length == 0, $"References without a WaitFor in AppHost/Program.cs: {string.Join(", ", notWaiting)}");

        var waitsWithoutCall = model.Waits.Except(model.References).Select(Show).Order(StringComparer.Ordinal).ToArray();
        Assert.True(waitsWithoutCall.Length == 0, $"WaitFor without a reference (a start ordered for no call): {string.Join(", ", waitsWithoutCall)}");
    }

    [Fact]
    public async Task TheCallGraphHasNoCycle()
    {
        var model = await AppHostModel.GetAsync();

        // The README's edges, and the model's references and waits: a cycle in any would need a call back.
        var edges = ReadmeEdges().Concat(model.References).Concat(model.Waits).ToHashSet();
        var cycle = LeftAfterTopologicalSort(edges);
        Assert.True(cycle.Count == 0, $"The call graph has a cycle through: {string.Join(", ", cycle.Select(Show))}");
    }

    [Fact]
    public void EveryRpcIsCalledAlongAnEdgeOfTheReadmeAndEveryEdgeCarriesAnRpc()
    {
        var readme = ReadmeEdges();
        var calls = AllowedCalls.All.SelectMany(c => c.Callers.Select(caller => (Caller: caller, c.Callee, c.Rpc))).ToArray();

        var unknown = calls.SelectMany(c => new[] { c.Caller, c.Callee }).Distinct().Where(n => !ServiceNames.All.Contains(n)).ToArray();
        Assert.True(unknown.Length == 0, $"AllowedCalls names services ServiceNames does not know: {string.Join(", ", unknown)}");

        var offGraph = calls.Where(c => !readme.Contains((c.Caller, c.Callee)))
            .Select(c => $"{c.Caller} --> {c.Callee} ({c.Rpc})").Order(StringComparer.Ordinal).ToArray();
        Assert.True(offGraph.Length == 0, $"Allowed callers that are no edge of README.md's graph: {string.Join(", ", offGraph)}");

        // The edge also proxies HTTP to every service it references (and to the APIs behind it), so an
        // edge from the edge needs no RPC.
        var unused = readme.Where(e => e.Caller != ServiceNames.Edge && !calls.Any(c => c.Caller == e.Caller && c.Callee == e.Callee))
            .Select(Show).Order(StringComparer.Ordinal).ToArray();
        Assert.True(unused.Length == 0, $"Edges of README.md's graph that no RPC allows: {string.Join(", ", unused)}");
    }

    /// <summary>The edges of the first Mermaid diagram of README.md's "Architecture" section.</summary>
    private static HashSet<(string Caller, string Callee)> ReadmeEdges()
    {
        var lines = File.ReadAllLines(Path.Combine(Root, "README.md"));
        var section = Array.IndexOf(lines, "## Architecture");
        Assert.True(section >= 0, "README.md has no \"## Architecture\" section");
        var sectionEnd = Array.FindIndex(lines, section + 1, l => l.StartsWith("## ", StringComparison.Ordinal));
        var open = Array.FindIndex(lines, section, l => l == "```mermaid");
        Assert.True(open > section && (sectionEnd < 0 || open < sectionEnd), "README.md's \"Architecture\" section has no ```mermaid diagram");
        var close = Array.FindIndex(lines, open + 1, l => l == "```");
        Assert.True(close > open, "README.md's \"Architecture\" diagram is not closed");

        var known = ServiceNames.All.Append(ServiceNames.TableApi).Append(ServiceNames.Console).ToHashSet(StringComparer.Ordinal);
        var edges = new HashSet<(string Caller, string Callee)>();
        var wrong = new List<string>();
        foreach (var line in lines[(open + 1)..close])
        {
            if (EdgeLine().Match(line) is { Success: true } match)
            {
                var edge = (Caller: match.Groups["caller"].Value, Callee: match.Groups["callee"].Value);
                if (!known.Contains(edge.Caller) || !known.Contains(edge.Callee))
                {
                    wrong.Add($"'{line.Trim()}' names a service ServiceNames does not know");
                }

                edges.Add(edge);
            }
            else if (line.Contains("--", StringComparison.Ordinal))
            {
                // An arrow written another way would be drawn by GitHub but missed here.
                wrong.Add($"'{line.Trim()}' is not written `    caller --> callee`");
            }
        }

        Assert.True(wrong.Count == 0, "README.md's graph: " + string.Join("; ", wrong));
        Assert.NotEmpty(edges);
        return edges;
    }

    /// <summary>The edges left once every service nothing calls is taken away, again and again (Kahn): none unless there is a cycle.</summary>
    private static IReadOnlyList<(string Caller, string Callee)> LeftAfterTopologicalSort(IEnumerable<(string Caller, string Callee)> edges)
    {
        var left = edges.ToHashSet();
        var services = left.SelectMany(e => new[] { e.Caller, e.Callee }).ToHashSet(StringComparer.Ordinal);
        while (true)
        {
            var uncalled = services.Where(s => !left.Any(e => e.Callee == s)).ToArray();
            if (uncalled.Length == 0)
            {
                return [.. left.OrderBy(Show, StringComparer.Ordinal)];
            }

            foreach (var service in uncalled)
            {
                services.Remove(service);
                left.RemoveWhere(e => e.Caller == service);
            }
        }
    }

    private static string Show((string Caller, string Callee) edge) => $"{edge.Caller} --> {edge.Callee}";

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "OAuthAspire.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("The repository root (OAuthAspire.sln) was not found.");
    }
}
