using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using OAuthAspire.AppHost.Infrastructure;
using OAuthAspire.ServiceDefaults;

namespace OAuthAspire.Testing;

/// <summary>
/// The AppHost's model, built as the system tests build it and never started: which project
/// references (calls) which, which waits for which at start, and which own a database or a broker
/// login. Parameters and the servers are not projects, so they drop out of the graph.
/// </summary>
public sealed record AppHostModel(
    IReadOnlySet<(string Caller, string Callee)> References,
    IReadOnlySet<(string Caller, string Callee)> Waits,
    IReadOnlySet<string> WithDatabase,
    IReadOnlySet<string> WithBrokerLogin)
{
    /// <summary>The type Aspire gives the relationship that <c>WithReference</c> records (its KnownRelationshipTypes is internal).</summary>
    private const string ReferenceRelationship = "Reference";

    private static readonly Lazy<Task<AppHostModel>> Built = new(BuildAsync);

    /// <summary>Built once per test assembly (each build runs the AppHost's Program.cs).</summary>
    public static Task<AppHostModel> GetAsync() => Built.Value;

    private static async Task<AppHostModel> BuildAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await using var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.AppHost>(
        [
            // As SystemFixture: nothing machine-wide is named, and nothing is created as nothing starts.
            $"--Infrastructure:DataDirectory={Path.Combine(Path.GetTempPath(), $"oauthaspire-model-{Guid.NewGuid():N}")}",
            "--Infrastructure:PostgresPort=0",
            "--Infrastructure:RabbitMqPort=0",
            "--Edge:Port=0",
        ], timeout.Token);

        var references = new HashSet<(string Caller, string Callee)>();
        var waits = new HashSet<(string Caller, string Callee)>();
        var databases = new HashSet<string>(StringComparer.Ordinal);
        var brokers = new HashSet<string>(StringComparer.Ordinal);
        foreach (var project in builder.Resources.OfType<ProjectResource>())
        {
            foreach (var relationship in project.Annotations.OfType<ResourceRelationshipAnnotation>().Where(r => r.Type == ReferenceRelationship))
            {
                switch (relationship.Resource)
                {
                    // Every service is told the issuer, the edge's URL, which Aspire records as a reference
                    // to the edge too; nothing calls the edge (it serves no RPC), so those are not calls.
                    case ProjectResource callee when callee.Name != project.Name && callee.Name != ServiceNames.Edge:
                        references.Add((project.Name, callee.Name));
                        break;
                    case ServiceDatabaseResource:
                        databases.Add(project.Name);
                        break;
                    case ServiceBrokerLoginResource:
                        brokers.Add(project.Name);
                        break;
                }
            }

            foreach (var wait in project.Annotations.OfType<WaitAnnotation>())
            {
                if (wait.Resource is ProjectResource callee)
                {
                    waits.Add((project.Name, callee.Name));
                }
            }
        }

        Assert.NotEmpty(references);
        return new AppHostModel(references, waits, databases, brokers);
    }
}
