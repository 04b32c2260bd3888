using OAuthAspire.Protocol.Errors;

namespace OAuthAspire.Protocol.Device;

/// <summary>Where a device authorization stands.</summary>
public enum DeviceStatus
{
    Pending,
    Approved,
    Denied,
    Redeemed,
}

/// <summary>What the token endpoint reads of a device code when the device polls.</summary>
/// <param name="LastPolledAt">The previous poll; null before the first.</param>
/// <param name="Interval">Seconds the device must wait between polls (grows by 5 with each <c>slow_down</c>).</param>
public sealed record DevicePollState(string ClientId, DeviceStatus Status, DateTime ExpiresAt, DateTime? LastPolledAt, int Interval);

/// <summary>The answer to one poll: tokens, or an error; and the interval to remember from now on.</summary>
/// <param name="Error">Null when the tokens are to be issued.</param>
/// <param name="Interval">The device code's interval after this poll.</param>
/// <param name="Reason">Why, for the audit trail.</param>
public sealed record DevicePollOutcome(ProtocolError? Error, int Interval, string Reason)
{
    public bool Issue => Error is null;
}

/// <summary>The device access token request (RFC 8628 §3.4, §3.5), decided from the code's state and the database's clock.</summary>
public static class DevicePolling
{
    /// <summary>RFC 8628 §3.5: each <c>slow_down</c> adds five seconds to the interval.</summary>
    public const int SlowDownStep = 5;

    /// <summary>
    /// Marks the token service's <c>authorization_pending</c> and <c>slow_down</c> answers for the edge,
    /// which does not count them as failed requests and removes the header before answering.
    /// </summary>
    public const string PollAnswerHeader = "OAuthAspire-Device-Poll";

    /// <summary>The interval never grows past this: a misbehaving device keeps hearing slow_down, but is never sent away for hours.</summary>
    public const int MaxInterval = 60;

    public static DevicePollOutcome Decide(DevicePollState state, string clientId, DateTime now)
    {
        // Another client's code: as for codes, it neither reveals nor changes anything.
        if (!string.Equals(state.ClientId, clientId, StringComparison.Ordinal))
        {
            return new(ProtocolError.InvalidGrant("The device code is invalid, expired or already used."), state.Interval, "device code issued to another client");
        }

        if (state.Status == DeviceStatus.Redeemed)
        {
            return new(ProtocolError.InvalidGrant("The device code is invalid, expired or already used."), state.Interval, "device code replayed");
        }

        if (state.ExpiresAt <= now)
        {
            return new(Error(OAuthErrorCodes.ExpiredToken, "The device code expired: start a new device authorization."), state.Interval, "device code expired");
        }

        if (state.Status == DeviceStatus.Denied)
        {
            return new(Error(OAuthErrorCodes.AccessDenied, "The user denied the request."), state.Interval, "the user denied the device");
        }

        if (state.Status == DeviceStatus.Pending)
        {
            if (state.LastPolledAt is { } last && now - last < TimeSpan.FromSeconds(state.Interval))
            {
                var slower = Math.Min(state.Interval + SlowDownStep, MaxInterval);
                return new(Error(OAuthErrorCodes.SlowDown, $"Polled sooner than the interval: wait {slower} seconds between polls."), slower, "polled too soon");
            }

            return new(Error(OAuthErrorCodes.AuthorizationPending, "The user has not answered yet."), state.Interval, "pending");
        }

        return new(null, state.Interval, "approved");
    }

    private static ProtocolError Error(string code, string description) => new(code, description, 400);
}
