using System.Text;

namespace FastAttn.Engine.Robustness;

/// <summary>How one fuzz input ended.</summary>
public enum FuzzOutcome
{
    /// <summary>The parser accepted the input (and what it returned passed the target's sanity checks).</summary>
    Accepted,

    /// <summary>The parser refused it with the typed exception the target promises.</summary>
    Refused,

    /// <summary>A bug: another exception, an accepted value that breaks the target's invariants, or a hang.</summary>
    Finding,
}

/// <summary>The result of one fuzz input.</summary>
/// <param name="Outcome">How it ended.</param>
/// <param name="Error">The exception (refusals and findings), or null.</param>
public sealed record FuzzResult(FuzzOutcome Outcome, Exception? Error);

/// <summary>A value a parser accepted that breaks an invariant its callers rely on (a fuzz finding, not a refusal).</summary>
public sealed class FuzzInvariantException(string message) : Exception(message);

/// <summary>
/// One parser under fuzzing: its seeds, how an input becomes the file it reads, how it is run, and which exceptions
/// count as a typed refusal. Anything else that escapes is a finding.
/// </summary>
public sealed class FuzzTarget
{
    private readonly Func<byte[], byte[]> _materialise;
    private readonly Action<string> _run;
    private readonly Func<Exception, bool> _isTyped;

    /// <summary>Creates a target.</summary>
    /// <param name="name">Its name (safetensors, pt, plan, config, scheduler, tokenizer).</param>
    /// <param name="fileName">The name of the file each input is written to.</param>
    /// <param name="seeds">Valid (or deliberately hostile) inputs to mutate.</param>
    /// <param name="run">Parses the file at the path it is given; throws to refuse.</param>
    /// <param name="isTyped">Whether an exception is the typed refusal the parser promises.</param>
    /// <param name="materialise">Turns an input into the file's bytes (null: as it is).</param>
    public FuzzTarget(string name, string fileName, IReadOnlyList<byte[]> seeds, Action<string> run, Func<Exception, bool> isTyped,
        Func<byte[], byte[]>? materialise = null)
    {
        Name = name;
        FileName = fileName;
        Seeds = seeds;
        _run = run;
        _isTyped = isTyped;
        _materialise = materialise ?? (b => b);
    }

    /// <summary>The target's name.</summary>
    public string Name { get; }

    /// <summary>The file name inputs are written to.</summary>
    public string FileName { get; }

    /// <summary>The seed inputs.</summary>
    public IReadOnlyList<byte[]> Seeds { get; }

    /// <summary>
    /// Writes <paramref name="input"/> into <paramref name="folder"/> and runs the parser on it (on a worker thread,
    /// so a hang past <paramref name="timeout"/> is reported as a finding rather than stalling the caller).
    /// </summary>
    public FuzzResult Run(byte[] input, string folder, TimeSpan? timeout = null)
    {
        ArgumentNullException.ThrowIfNull(input);
        var path = Path.Combine(folder, FileName);
        try
        {
            File.WriteAllBytes(path, _materialise(input));
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return new FuzzResult(FuzzOutcome.Finding, e);
        }
        var task = Task.Run(() => _run(path));
        try
        {
            if (!task.Wait(timeout ?? TimeSpan.FromSeconds(30)))
                return new FuzzResult(FuzzOutcome.Finding, new TimeoutException($"the {Name} parser did not finish (a hang)."));
            return new FuzzResult(FuzzOutcome.Accepted, null);
        }
        catch (AggregateException a) when (a.InnerException is Exception e)
        {
            return new FuzzResult(_isTyped(e) ? FuzzOutcome.Refused : FuzzOutcome.Finding, e);
        }
    }

    /// <summary>The bytes a safetensors envelope input (see <see cref="FuzzSeeds.SafetensorsEnvelope"/>) stands for.</summary>
    internal static byte[] SafetensorsFile(byte[] input)
    {
        if (!input.AsSpan().StartsWith(FuzzSeeds.SafetensorsEnvelope)) return input;
        var body = input.AsSpan(FuzzSeeds.SafetensorsEnvelope.Length);
        int nul = body.IndexOf((byte)0);
        if (nul < 0) return input;
        var file = new byte[8 + body.Length - 1];
        BitConverter.GetBytes((long)nul).CopyTo(file, 0);
        body[..nul].CopyTo(file.AsSpan(8));
        body[(nul + 1)..].CopyTo(file.AsSpan(8 + nul));
        return file;
    }

    /// <summary>An envelope input: header JSON, NUL, data.</summary>
    internal static byte[] SafetensorsEnvelopeOf(string headerJson, int dataLength) =>
        [.. FuzzSeeds.SafetensorsEnvelope, .. Encoding.UTF8.GetBytes(headerJson), 0, .. new byte[dataLength]];

    /// <summary>The bytes a pickle envelope input (see <see cref="FuzzSeeds.PickleEnvelope"/>) stands for.</summary>
    internal static byte[] TorchZipFile(byte[] input) => input.AsSpan().StartsWith(FuzzSeeds.PickleEnvelope)
        ? FuzzSeeds.TorchZip(input[FuzzSeeds.PickleEnvelope.Length..]) : input;
}
