using System.Net;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;

namespace OAuthAspire.Edge.Tests;

/// <summary>Requests as the edge's middleware sees them, without a server.</summary>
internal static class Http
{
    // What answers written as ProblemDetails look up (a logger).
    private static readonly IServiceProvider Services = new ServiceCollection().AddLogging().BuildServiceProvider();

    public static DefaultHttpContext Context(string method, string path, string address = "203.0.113.7")
    {
        var context = new DefaultHttpContext { RequestServices = Services };
        context.Request.Method = method;
        context.Request.Path = path;
        context.Connection.RemoteIpAddress = IPAddress.Parse(address);
        context.Response.Body = new MemoryStream();
        return context;
    }

    /// <summary>A form POST, as a browser or an OAuth client sends it.</summary>
    public static DefaultHttpContext Form(string path, string address, params (string Name, string Value)[] fields)
    {
        var context = Context(HttpMethods.Post, path, address);
        var bytes = Encoding.UTF8.GetBytes(string.Join('&', fields.Select(f => $"{Uri.EscapeDataString(f.Name)}={Uri.EscapeDataString(f.Value)}")));
        context.Request.ContentType = "application/x-www-form-urlencoded";
        context.Request.ContentLength = bytes.Length;
        context.Request.Body = new MemoryStream(bytes);
        return context;
    }

    /// <summary>A context whose answer's start can be triggered (<see cref="StartingResponse.StartAsync"/>), running what was registered for it.</summary>
    public static (DefaultHttpContext Context, StartingResponse Response) Starting(string method, string path)
    {
        var context = Context(method, path);
        var response = new StartingResponse();
        context.Features.Set<IHttpResponseFeature>(response);
        return (context, response);
    }

    public static async Task<string> BodyAsync(HttpContext context)
    {
        var body = context.Response.Body;
        body.Position = 0;
        using var reader = new StreamReader(body, Encoding.UTF8, leaveOpen: true);
        return await reader.ReadToEndAsync();
    }
}

/// <summary>A response that runs its OnStarting callbacks when told to, last registered first, as servers do.</summary>
internal sealed class StartingResponse : HttpResponseFeature
{
    private readonly List<(Func<object, Task> Callback, object State)> _starting = [];

    public override void OnStarting(Func<object, Task> callback, object state) => _starting.Add((callback, state));

    public async Task StartAsync()
    {
        for (var i = _starting.Count - 1; i >= 0; i--)
        {
            await _starting[i].Callback(_starting[i].State);
        }

        _starting.Clear();
    }
}
