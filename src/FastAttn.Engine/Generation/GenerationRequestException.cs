namespace FastAttn.Engine.Generation;

/// <summary>A request that the model cannot serve (a prompt naming no class, a size it cannot make …), naming the parameter.</summary>
public sealed class GenerationRequestException : ArgumentException
{
    /// <summary>Creates the error.</summary>
    /// <param name="message">What is wrong and what is allowed.</param>
    /// <param name="parameter">The request field at fault ("prompt", "size", "negativePrompt", "model" …).</param>
    /// <param name="inner">The underlying error, if any.</param>
    public GenerationRequestException(string message, string parameter, Exception? inner = null) : base(message, inner) => Parameter = parameter;

    /// <summary>The request field at fault.</summary>
    public string Parameter { get; }

    /// <inheritdoc />
    public override string Message => base.Message;
}
