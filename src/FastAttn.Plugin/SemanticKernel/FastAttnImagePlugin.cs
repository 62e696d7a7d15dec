using System.ComponentModel;
using System.Globalization;
using FastAttn.Plugin.Hosting;
using Microsoft.SemanticKernel;

namespace FastAttn.Plugin.SemanticKernel;

/// <summary>
/// The agent-facing tool: <c>generate_image</c> draws an image locally with FastAttn and returns a text summary (where the
/// file is, model, preset, seed, time, attention FLOPs) — text, because OpenAI-style chat connectors reject image tool results.
/// Requests it cannot serve come back as a sentence saying what to change.
/// </summary>
public sealed class FastAttnImagePlugin(IFastAttnEngine engine)
{
    /// <summary>Generates one image and describes the result.</summary>
    [KernelFunction("generate_image")]
    [Description("Draws an image on the local GPU/CPU with a diffusion transformer and saves it as a PNG file. " +
                 "Text-to-image models draw any described scene. Class-conditional models draw one class only: the built-in digit model " +
                 "draws handwritten digits 0-9 (prompt like \"a handwritten seven\"), ImageNet models one of the 1000 ImageNet classes (prompt " +
                     "like \"golden retriever\"). " +
                 "Returns the saved file's path and URI plus generation facts; show the path to the user.")]
    public async Task<string> GenerateImageAsync(
        [Description("What to draw: a scene description for text-to-image models, or one digit / one ImageNet class name for class-conditional " +
            "models.")] string prompt,
        [Description("Optional size in pixels, e.g. \"1024x768\" (width x height) or \"32\" (square). Leave empty for the model's own size.")]
        string? size = null,
        [Description("Optional quality preset: raw (best quality, slowest), D1 (near-lossless) to D6 (fastest). Leave empty for the default.")]
        string? quality = null,
        [Description("Optional seed; the same seed and settings give the same image.")] long? seed = null,
        [Description("Optional, text-to-image models only: what the image should not show, e.g. \"blurry, text\".")] string? negative = null,
        CancellationToken cancellationToken = default)
    {
        int? width = null, height = null;
        if (!string.IsNullOrWhiteSpace(size))
        {
            var parts = size.ToLowerInvariant().Replace('×', 'x').Split('x', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length is < 1 or > 2 || !parts.All(p => int.TryParse(p, NumberStyles.None, CultureInfo.InvariantCulture, out _)))
                return $"Could not generate: size '{size}' is not a size like \"1024x768\" or \"32\".";
            width = int.Parse(parts[0], CultureInfo.InvariantCulture);
            height = int.Parse(parts[^1], CultureInfo.InvariantCulture);
        }
        try
        {
            var r = await engine.GenerateAsync(new FastAttnImageRequest
            {
                Prompt = prompt ?? "",
                Width = width,
                Height = height,
                NegativePrompt = string.IsNullOrWhiteSpace(negative) ? null : negative,
                Preset = string.IsNullOrWhiteSpace(quality) ? null : quality,
                Seed = seed,
            }, cancellationToken).ConfigureAwait(false);
            var image = r.Images[0];
            var compression = r.Compressed
                ? $"preset {r.Preset}, attention FLOPs {r.AttentionFlopsFraction.ToString("P0", CultureInfo.InvariantCulture)} of full"
                : $"preset {r.Preset}, uncompressed";
            var notes = r.Notes.Count == 0 ? "" : " Note: " + string.Join(" ", r.Notes);
            return string.Create(CultureInfo.InvariantCulture,
                $"Saved the image to {image.Path} ({image.Uri}). Model {r.Model}, {(image.ClassId is null ? "prompt" : "class")} " +
                    $"\"{image.Subject}\", {r.Width}x{r.Height}, {compression}, seed {image.Seed}, {r.Elapsed.TotalSeconds:F1} s.{notes}");
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
