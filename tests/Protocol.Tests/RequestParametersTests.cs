using OAuthAspire.Protocol.Requests;

namespace OAuthAspire.Protocol.Tests;

public class RequestParametersTests
{
    [Fact]
    public void AParameterSentTwiceIsRejected() =>
        Assert.False(RequestParameters.Of(("grant_type", "client_credentials"), ("grant_type", "password")).Check().IsOk);

    [Fact]
    public void AParameterWithoutAValueCountsAsOmitted()
    {
        var parameters = RequestParameters.Of(("scope", ""), ("grant_type", "client_credentials"));
        Assert.Null(parameters["scope"]);
        Assert.True(parameters.Check().IsOk);
    }

    [Fact]
    public void AnEmptyRepeatIsNotADuplicate() =>
        Assert.True(RequestParameters.Of(("scope", "a"), ("scope", "")).Check().IsOk);

    [Fact]
    public void AnOversizedParameterIsRejected() =>
        Assert.False(RequestParameters.Of(("scope", new string('a', RequestParameters.MaxValueLength + 1))).Check().IsOk);

    [Fact]
    public void ResourceMayBeRepeatedAndEveryValueIsKept()
    {
        var parameters = RequestParameters.Of(("resource", "https://a.example/api"), ("resource", "https://b.example/api"), ("resource", ""));
        Assert.True(parameters.Check().IsOk);
        Assert.Equal(["https://a.example/api", "https://b.example/api"], parameters.All("resource"));
    }

    [Fact]
    public void RepeatedResourcesSurviveBeingStoredAsOneValue()
    {
        var stored = RequestParameters.Of(("resource", "https://a.example/api"), ("resource", "https://b.example/api"), ("scope", "x"))
            .Values.ToDictionary(kv => kv.Key, kv => kv.Value);
        var read = RequestParameters.FromSingle(stored);
        Assert.Equal(["https://a.example/api", "https://b.example/api"], read.All("resource"));
        Assert.Equal("x", read["scope"]);
    }
}
