using OAuthAspire.Contracts.Audit;
using OAuthAspire.ServiceDefaults.Audit;

namespace OAuthAspire.ServiceDefaults.Tests;

public class RepeatedRefusalsTests
{
    private sealed class Clock : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = new(2026, 11, 30, 12, 0, 0, TimeSpan.Zero);

        public override DateTimeOffset GetUtcNow() => Now;
    }

    private static TokenRequestRefused Refusal(string address = "203.0.113.9", string reason = "unknown client") =>
        new("nobody", "client_credentials", "invalid_client") { Outcome = AuditOutcome.Failure, RemoteAddress = address, Reason = reason };

    [Fact]
    public void TheFirstRefusalIsWrittenAndIdenticalRepeatsInTheWindowAreOnlyCounted()
    {
        var clock = new Clock();
        var repeats = new RepeatedRefusals(clock, TimeSpan.FromMinutes(1));

        Assert.True(repeats.Admit(Refusal()));
        Assert.False(repeats.Admit(Refusal()));
        Assert.False(repeats.Admit(Refusal()));
        Assert.Empty(repeats.Closed());

        clock.Now += TimeSpan.FromMinutes(1);
        var summary = Assert.Single(repeats.Closed());
        Assert.Equal(nameof(TokenRequestRefused), summary.EventType);
        Assert.Equal(2, summary.Count);
        Assert.Equal("203.0.113.9", summary.RemoteAddress);
        Assert.True(repeats.Admit(Refusal()));
    }

    [Fact]
    public void RefusalsDifferingInSourceReasonOrFieldsAreEachWritten()
    {
        var repeats = new RepeatedRefusals(new Clock(), TimeSpan.FromMinutes(1));
        Assert.True(repeats.Admit(Refusal()));
        Assert.True(repeats.Admit(Refusal(address: "203.0.113.10")));
        Assert.True(repeats.Admit(Refusal(reason: "wrong secret")));
        Assert.True(repeats.Admit(Refusal() with { Error = "invalid_request" }));
    }

    [Fact]
    public void SuccessesAndPerAttemptEventsAreNeverCoalesced()
    {
        var repeats = new RepeatedRefusals(new Clock(), TimeSpan.FromMinutes(1));
        var failedLogin = new LoginFailed(null, "ada", null) { Outcome = AuditOutcome.Failure, RemoteAddress = "203.0.113.9" };
        var issued = new ClientSecretRotated("c1") { RemoteAddress = "203.0.113.9" };
        for (var i = 0; i < 3; i++)
        {
            Assert.True(repeats.Admit(failedLogin));
            Assert.True(repeats.Admit(issued));
        }
    }

    [Fact]
    public void AWindowWithoutRepeatsClosesWithoutASummary()
    {
        var clock = new Clock();
        var repeats = new RepeatedRefusals(clock, TimeSpan.FromSeconds(10));
        Assert.True(repeats.Admit(Refusal()));
        clock.Now += TimeSpan.FromSeconds(11);
        Assert.Empty(repeats.Closed());
    }
}
