namespace FastAttn.Plugin.Hosting;

/// <summary>
/// A request the engine cannot serve as asked — unknown model or class, unsupported size, a limit exceeded — with a
/// message written so that a person or an LLM can correct the request.
/// </summary>
public sealed class FastAttnRequestException : ArgumentException
{
    /// <summary>Creates the exception; <paramref name="parameter"/> names the offending field.</summary>
    public FastAttnRequestException(string message, string? parameter = null, Exception? inner = null) : base(message, inner)
        => Parameter = parameter;

    /// <summary>The request field at fault ("prompt", "size", "steps", …).</summary>
    public string? Parameter { get; }

    /// <inheritdoc />
    public override string Message => base.Message.Split(" (Parameter", 2)[0];
}
