using System.Text;
using Microsoft.AspNetCore.Http;

namespace OAuthAspire.Authorize.Tests;

/// <summary>An endpoint's answer as the browser would get it, without a server.</summary>
internal sealed record Answer(int Status, IHeaderDictionary Headers, string Body)
{
    public static async Task<Answer> OfAsync(IResult result)
    {
        var context = new DefaultHttpContext();
        var body = new MemoryStream();
        context.Response.Body = body;
        await result.ExecuteAsync(context);
        return new Answer(context.Response.StatusCode, context.Response.Headers, Encoding.UTF8.GetString(body.ToArray()));
    }
}
