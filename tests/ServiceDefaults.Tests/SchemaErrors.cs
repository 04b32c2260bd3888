using Json.Schema;

namespace OAuthAspire.Testing;

/// <summary>Where and why a JSON Schema evaluation failed, one line per error (shared with Functional.Tests).</summary>
internal static class SchemaErrors
{
    public static string Of(EvaluationResults results)
    {
        var lines = new List<string>();
        Collect(results, lines);
        return string.Join("\n", lines);

        static void Collect(EvaluationResults node, List<string> lines)
        {
            if (node.Errors is not null)
            {
                foreach (var (keyword, message) in node.Errors)
                {
                    lines.Add($"{node.InstanceLocation} {keyword}: {message}");
                }
            }

            foreach (var detail in node.Details ?? [])
            {
                Collect(detail, lines);
            }
        }
    }
}
