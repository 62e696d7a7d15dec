using System.Globalization;
using System.Text.Json;

namespace FastAttn.Plugin.Hosting;

/// <summary>Reads loosely typed request settings (SK ExtensionData, M.E.AI AdditionalProperties): strings, numbers, JSON.</summary>
internal static class RequestSettings
{
    public static string? String<TValue>(IDictionary<string, TValue>? data, string key) =>
        data is not null && data.TryGetValue(key, out var v) && v is not null
            ? v is JsonElement e ? e.ToString() : Convert.ToString(v, CultureInfo.InvariantCulture)
            : null;

    public static T? Value<T, TValue>(IDictionary<string, TValue>? data, string key) where T : struct, IParsable<T>
    {
        var text = String(data, key);
        if (text is null) return null;
        return T.TryParse(text, CultureInfo.InvariantCulture, out var value) ? value
            : throw new FastAttnRequestException($"The setting '{key}' must be a {typeof(T).Name} (got '{text}').", key);
    }
}
