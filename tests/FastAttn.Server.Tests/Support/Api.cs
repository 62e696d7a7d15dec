using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Xunit;

namespace FastAttn.Server.Tests.Support;

/// <summary>Small helpers: post JSON, read an OpenAI-shaped error.</summary>
internal static class Api
{
    public static Task<HttpResponseMessage> PostJsonAsync(this HttpClient http, string route, object body, string? idempotencyKey = null,
        CancellationToken cancellationToken = default)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, route) { Content = JsonContent.Create(body) };
        if (idempotencyKey is not null) request.Headers.Add("Idempotency-Key", idempotencyKey);
        return http.SendAsync(request, cancellationToken);
    }

    public static async Task<JsonElement> JsonAsync(this HttpResponseMessage response) =>
        JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;

    /// <summary>Asserts <paramref name="response"/> is <paramref name="status"/> with an OpenAI error body; returns the error.</summary>
    public static async Task<JsonElement> AssertErrorAsync(this HttpResponseMessage response, HttpStatusCode status, string type, string? code,
        string? param = null)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == status, $"expected {status}, got {response.StatusCode}: {body}");
        var error = JsonDocument.Parse(body).RootElement.GetProperty("error");
        Assert.Equal(type, error.GetProperty("type").GetString());
        Assert.False(string.IsNullOrWhiteSpace(error.GetProperty("message").GetString()));
        if (code is not null) Assert.Equal(code, error.GetProperty("code").GetString());
        if (param is not null) Assert.Equal(param, error.GetProperty("param").GetString());
        return error;
    }
}
