using System.Globalization;
using FastAttn.Engine.Generation;

namespace FastAttn.Engine.Families;

/// <summary>The request checks and wording every family shares.</summary>
public static class GenerationChecks
{
    /// <summary>Count, steps, guidance and sizes within their ranges; a request outside is a <see cref="GenerationRequestException"/>.</summary>
    public static void Common(GenerationRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.Count < 1) throw new GenerationRequestException($"Ask for at least one item (got {request.Count}).", "count");
        if (request.Steps is int s && (s < 1 || s > 1000)) throw new GenerationRequestException($"Steps must be within 1..1000 (got {s}).", "steps");
        if (request.GuidanceScale is double g && (double.IsNaN(g) || g < 0))
            throw new GenerationRequestException($"The guidance scale must be a number ≥ 0 (got {g}).", "guidance");
        foreach (var side in new[] { request.Width, request.Height })
            if (side is int px && px < 1) throw new GenerationRequestException($"Sides must be positive (got {px}).", "size");
    }

    /// <summary>
    /// Runs <paramref name="resolve"/>, turning its refusal (an unknown name, a bad value) into a
    /// <see cref="GenerationRequestException"/> on <paramref name="parameter"/>.
    /// </summary>
    public static T Field<T>(string parameter, Func<T> resolve)
    {
        ArgumentNullException.ThrowIfNull(resolve);
        try { return resolve(); }
        catch (Exception e) when (e is NotSupportedException or InvalidOperationException or ArgumentException and not GenerationRequestException)
        {
            throw new GenerationRequestException(e.Message, parameter, e);
        }
    }

    /// <summary>"32px, 25 ddim steps, guidance 5".</summary>
    public static string Describe(string size, int steps, string scheduler, double guidance) =>
        string.Create(CultureInfo.InvariantCulture, $"{size}, {steps} {scheduler} steps, guidance {guidance}");
}
