namespace OAuthAspire.Protocol.Policies;

/// <summary>
/// An API's rules as a tree of path segments, so a call finds the rules that match it by walking
/// its own segments (a literal child, the <c>*</c> child, the rules ending in <c>**</c> on the way)
/// instead of trying every rule: the cost grows with the path's depth, not with the rule count.
/// Matches exactly as <see cref="PathPattern.Matches"/>; ties go to the earlier rule.
/// </summary>
public sealed class ApiRuleTree
{
    private readonly Node _root = new();

    public ApiRuleTree(IReadOnlyList<ApiRule> rules)
    {
        for (var i = 0; i < rules.Count; i++)
        {
            var segments = rules[i].Resource.Split('/');
            var node = _root;
            var entry = new Entry(rules[i], i, ApiPolicies.Specificity(rules[i]));
            for (var s = 0; s < segments.Length; s++)
            {
                if (segments[s] == "**")
                {
                    (node.AnyRest ??= []).Add(entry);
                    node = null;
                    break;
                }

                node = segments[s] == "*"
                    ? node.Star ??= new Node()
                    : (node.Literals ??= new(StringComparer.OrdinalIgnoreCase)).TryGetValue(segments[s], out var child) ? child : node.Literals[segments[s]] = new Node();
            }

            if (node is not null)
            {
                (node.Ends ??= []).Add(entry);
            }
        }
    }

    /// <summary>The most specific rule for the method and canonical path; null when none matches.</summary>
    public ApiRule? Best(string method, string path)
    {
        var segments = path.Split('/');
        Entry? best = null;
        Walk(_root, 0);
        return best?.Rule;

        void Walk(Node node, int depth)
        {
            // A final ** matches any number of further segments, none included.
            Consider(node.AnyRest);
            if (depth == segments.Length)
            {
                Consider(node.Ends);
                return;
            }

            var segment = segments[depth];
            if (node.Literals is not null && node.Literals.TryGetValue(segment, out var literal))
            {
                Walk(literal, depth + 1);
            }

            if (node.Star is not null && segment.Length > 0)
            {
                Walk(node.Star, depth + 1);
            }
        }

        void Consider(List<Entry>? entries)
        {
            foreach (var entry in entries ?? [])
            {
                var methods = entry.Rule.Methods;
                // HEAD is GET without the body (RFC 9110 §9.3.2): a GET rule covers it.
                if ((methods.Count == 0 || methods.Contains(method) || (method == "HEAD" && methods.Contains("GET")))
                    && (best is null || entry.Score.CompareTo(best.Score) > 0 || (entry.Score.CompareTo(best.Score) == 0 && entry.Index < best.Index)))
                {
                    best = entry;
                }
            }
        }
    }

    private sealed record Entry(ApiRule Rule, int Index, (int, int, int) Score);

    private sealed class Node
    {
        public Dictionary<string, Node>? Literals;
        public Node? Star;
        public List<Entry>? Ends;
        public List<Entry>? AnyRest;
    }
}
