using System.Net.Sockets;
using OAuthAspire.ServiceDefaults.Http;

namespace OAuthAspire.ServiceDefaults.Tests;

public class ConnectionFailureRetryTests
{
    [Fact]
    public void ARefusedConnectionIsRetried() =>
        Assert.True(ConnectionFailureRetry.IsConnectionFailure(
            new HttpRequestException(HttpRequestError.ConnectionError, "refused", new SocketException((int)SocketError.ConnectionRefused))));

    [Fact]
    public void AnUnresolvedNameIsRetried() =>
        Assert.True(ConnectionFailureRetry.IsConnectionFailure(new HttpRequestException(HttpRequestError.NameResolutionError, "no such host")));

    [Theory]
    [InlineData(HttpRequestError.ResponseEnded)]
    [InlineData(HttpRequestError.HttpProtocolError)]
    [InlineData(HttpRequestError.Unknown)]
    public void AFailureAfterTheRequestMayHaveBeenSeenIsNotRetried(HttpRequestError error) =>
        Assert.False(ConnectionFailureRetry.IsConnectionFailure(new HttpRequestException(error, "mid-call")));

    [Fact]
    public void ATimeoutIsNotRetried() =>
        Assert.False(ConnectionFailureRetry.IsConnectionFailure(new TaskCanceledException()));
}
