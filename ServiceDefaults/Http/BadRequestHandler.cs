using System.Text.Json;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http;

namespace OAuthAspire.ServiceDefaults.Http;

/// <summary>
/// A request the framework could not read (malformed JSON, an oversized body, a parameter of the
/// wrong type) is the caller's fault: answer its 4xx as ProblemDetails, never a 500. A JSON body
/// with a member the resource does not have, or one of the wrong type, gets a validation problem
/// naming it, as the admin APIs' own validation does (<see cref="StrictJson"/>).
/// </summary>
internal sealed class BadRequestHandler(IProblemDetailsService problems) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext context, Exception exception, CancellationToken cancellationToken)
    {
        if (exception is not BadHttpRequestException bad)
        {
            return false;
        }

        if (bad.StatusCode == StatusCodes.Status400BadRequest && bad.InnerException is JsonException json && StrictJson.ErrorsOf(json) is { } errors)
        {
            await TypedResults.ValidationProblem(errors, detail: "The request body has a field this resource does not have or cannot read.")
                .ExecuteAsync(context);
            return true;
        }

        context.Response.StatusCode = bad.StatusCode;
        return await problems.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = context,
            ProblemDetails = { Status = bad.StatusCode, Title = "Bad Request", Detail = "The request could not be read." },
        });
    }
}
