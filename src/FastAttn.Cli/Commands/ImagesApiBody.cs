using FastAttn.Plugin.Hosting;

namespace FastAttn.Cli.Commands;

/// <summary>The JSON body of <c>POST /v1/images/generations</c> for an image request (b64_json answers), as the HTTP clients send it.</summary>
internal static class ImagesApiBody
{
    /// <summary>The request's fields under the images API's names; unset ones are null (the server's defaults).</summary>
    public static Dictionary<string, object?> Of(FastAttnImageRequest i) => new()
    {
        ["prompt"] = i.Prompt, ["model"] = i.Model, ["n"] = i.Count, ["preset"] = i.Preset, ["steps"] = i.Steps, ["seed"] = i.Seed,
        ["guidance_scale"] = i.GuidanceScale, ["response_format"] = "b64_json",
        ["size"] = i.Width is int w ? $"{w}x{i.Height ?? w}" : null,
    };
}
