using System.ComponentModel;
using System.Globalization;
using FastAttn.Plugin.Hosting;
using Microsoft.SemanticKernel;

namespace FastAttn.Plugin.SemanticKernel;

/// <summary>
/// The agent-facing video tool: <c>generate_video</c> makes a short clip locally with a text-to-video model and returns a text
/// summary (where the GIF is, model, preset, frames, size, seed, time). Requests it cannot serve come back as a sentence
/// saying what to change. Video jobs share the engine's queue and device with image jobs.
/// </summary>
public sealed class FastAttnVideoPlugin(IFastAttnEngine engine)
{
    /// <summary>Generates one clip and describes the result.</summary>
    [KernelFunction("generate_video")]
    [Description("Makes a short video clip (an animated GIF, 16 frames at 240p by default) on the local GPU/CPU with a text-to-video " +
                 "diffusion transformer and saves it. Takes a scene description. Slow: minutes on a GPU. Returns the saved file's path and URI " +
                     "plus generation facts; show the path to the user.")]
    public async Task<string> GenerateVideoAsync(
        [Description("What the clip shows, e.g. \"waves rolling onto a beach at sunset\".")] string prompt,
        [Description("Optional number of frames (default 16).")] int? frames = null,
        [Description("Optional size in pixels as WIDTHxHEIGHT, e.g. \"426x240\". Leave empty for 240p.")] string? size = null,
        [Description("Optional quality preset: raw (best), V1 (near-lossless) to V5 (fastest). Leave empty for the default.")] string? quality = null,
        [Description("Optional seed; the same seed and settings give the same clip.")] long? seed = null,
        CancellationToken cancellationToken = default)
    {
        int? width = null, height = null;
        if (!string.IsNullOrWhiteSpace(size))
        {
            var parts = size.ToLowerInvariant().Replace('×', 'x').Split('x', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length != 2 || !parts.All(p => int.TryParse(p, NumberStyles.None, CultureInfo.InvariantCulture, out _)))
                return $"Could not generate: size '{size}' is not WIDTHxHEIGHT like \"426x240\".";
            width = int.Parse(parts[0], CultureInfo.InvariantCulture);
            height = int.Parse(parts[1], CultureInfo.InvariantCulture);
        }
        try
        {
            var r = await engine.GenerateVideoAsync(new FastAttnVideoRequest
            {
                Prompt = prompt ?? "", Frames = frames, Width = width, Height = height, Seed = seed,
                Preset = string.IsNullOrWhiteSpace(quality) ? null : quality,
            }, cancellationToken).ConfigureAwait(false);
            var compression = r.Compressed
                ? $"preset {r.Preset}, spatial-attention FLOPs {r.AttentionFlopsFraction.ToString("P0", CultureInfo.InvariantCulture)} of full"
                : $"preset {r.Preset}, uncompressed";
            var notes = r.Notes.Count == 0 ? "" : " Note: " + string.Join(" ", r.Notes);
            return string.Create(CultureInfo.InvariantCulture,
                $"Saved the clip to {r.Path} ({r.Uri}). Model {r.Model}, prompt \"{r.Prompt}\", {r.Frames} frames, {r.Width}x{r.Height} at " +
                    $"{r.Fps} fps, {compression}, seed {r.Seed}, {r.Elapsed.TotalSeconds:F1} s.{notes}");
        }
        catch (FastAttnRequestException e)
        {
            return "Could not generate: " + e.Message;
        }
        catch (FastAttnQueueFullException e)
        {
            return "Could not generate now: " + e.Message;
        }
    }
}
