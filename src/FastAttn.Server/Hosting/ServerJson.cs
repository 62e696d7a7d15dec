using System.Text.Json;
using System.Text.Json.Serialization;

namespace FastAttn.Server;

/// <summary>The JSON settings of every body the server writes: snake_case names (as OpenAI's API), nulls left out.</summary>
public static class ServerJson
{
    /// <summary>The options.</summary>
    public static JsonSerializerOptions Options { get; } = new(JsonSerializerDefaults.Web)
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,                // bodies are JSON, never HTML
    };
}
