using Grpc.Core;

namespace OAuthAspire.Testing.Fakes;

/// <summary>
/// Stands in for another service behind a generated gRPC client (<c>new XClient(calls)</c>): each
/// unary RPC answers what the test set for it with <see cref="On{TRequest, TResponse}"/>, or throws
/// the <see cref="RpcException"/> the answer throws; an RPC with no answer fails as UNIMPLEMENTED, so
/// a call the test did not expect cannot pass unnoticed. Every request is kept, to check what was asked.
/// </summary>
internal sealed class CannedCalls : CallInvoker
{
    private readonly Dictionary<string, Func<object, object>> _answers = new(StringComparer.Ordinal);
    private readonly List<(string Method, object Request)> _calls = [];

    /// <summary>Answers the RPC named <paramref name="method"/> (as in the .proto, e.g. <c>FindUser</c>).</summary>
    public CannedCalls On<TRequest, TResponse>(string method, Func<TRequest, TResponse> answer)
        where TRequest : class
        where TResponse : class
    {
        _answers[method] = request => answer((TRequest)request);
        return this;
    }

    /// <summary>The requests made to <paramref name="method"/>, in order.</summary>
    public IReadOnlyList<TRequest> Requests<TRequest>(string method)
    {
        lock (_calls)
        {
            return _calls.Where(c => c.Method == method).Select(c => (TRequest)c.Request).ToArray();
        }
    }

    /// <summary>How many calls were made, to any RPC.</summary>
    public int Count
    {
        get
        {
            lock (_calls)
            {
                return _calls.Count;
            }
        }
    }

    public override TResponse BlockingUnaryCall<TRequest, TResponse>(Method<TRequest, TResponse> method, string? host, CallOptions options, TRequest request) =>
        Answer(method, request);

    public override AsyncUnaryCall<TResponse> AsyncUnaryCall<TRequest, TResponse>(Method<TRequest, TResponse> method, string? host, CallOptions options,
        TRequest request)
    {
        Task<TResponse> response;
        try
        {
            response = Task.FromResult(Answer(method, request));
        }
        catch (RpcException e)
        {
            response = Task.FromException<TResponse>(e);
        }

        return new AsyncUnaryCall<TResponse>(response, Task.FromResult(new Metadata()), () => Status.DefaultSuccess, () => new Metadata(), () => { });
    }

    public override AsyncServerStreamingCall<TResponse> AsyncServerStreamingCall<TRequest, TResponse>(Method<TRequest, TResponse> method, string? host,
        CallOptions options, TRequest request) =>
        throw new NotSupportedException("Only unary calls are canned.");

    public override AsyncClientStreamingCall<TRequest, TResponse> AsyncClientStreamingCall<TRequest, TResponse>(Method<TRequest, TResponse> method,
        string? host, CallOptions options) =>
        throw new NotSupportedException("Only unary calls are canned.");

    public override AsyncDuplexStreamingCall<TRequest, TResponse> AsyncDuplexStreamingCall<TRequest, TResponse>(Method<TRequest, TResponse> method,
        string? host, CallOptions options) =>
        throw new NotSupportedException("Only unary calls are canned.");

    private TResponse Answer<TRequest, TResponse>(Method<TRequest, TResponse> method, TRequest request)
        where TRequest : class
        where TResponse : class
    {
        lock (_calls)
        {
            _calls.Add((method.Name, request));
        }

        return _answers.TryGetValue(method.Name, out var answer)
            ? (TResponse)answer(request)
            : throw new RpcException(new Status(StatusCode.Unimplemented, $"No canned answer for {method.FullName}."));
    }
}
