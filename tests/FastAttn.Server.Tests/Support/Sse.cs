namespace FastAttn.Server.Tests.Support;

/// <summary>Reads server-sent events from a response stream, one (name, data) at a time.</summary>
internal static class Sse
{
    public static async IAsyncEnumerable<(string Name, string Data)> ReadAsync(Stream stream)
    {
        using var reader = new StreamReader(stream);
        string name = "message", data = "";
        while (await reader.ReadLineAsync() is string line)
        {
            if (line.StartsWith("event: ", StringComparison.Ordinal)) name = line[7..];
            else if (line.StartsWith("data: ", StringComparison.Ordinal)) data += line[6..];
            else if (line.Length == 0 && data.Length > 0)
            {
                yield return (name, data);
                (name, data) = ("message", "");
            }
        }
    }
}
