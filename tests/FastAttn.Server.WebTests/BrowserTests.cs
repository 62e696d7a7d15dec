using System.Text.Json;
using FastAttn.Server.WebTests.Support;
using Microsoft.Playwright;
using Xunit;
using Xunit.Abstractions;

namespace FastAttn.Server.WebTests;

/// <summary>
/// The web page in a real browser: Debian's Chromium (<c>/usr/bin/chromium</c>, or FASTATTN_CHROMIUM) driven by Playwright for
/// .NET. Types a prompt, waits for the image through the SSE progress, checks the PNG, keeps a screenshot.
/// </summary>
[Collection(ServerCollection.Name)]
public sealed class BrowserTests(ITestOutputHelper output)
{
    private static string Chromium => Environment.GetEnvironmentVariable("FASTATTN_CHROMIUM") is { Length: > 0 } path ? path : "/usr/bin/chromium";

    [Fact]
    public async Task ThePageDrawsAnImageWithItsFactsAndKeepsItInTheGallery()
    {
        Assert.True(File.Exists(Chromium), $"Chromium is missing at {Chromium}: install it (apt-get install -y chromium; .ci/run does) " +
            "or set FASTATTN_CHROMIUM to a Chromium binary.");
        await using var server = await LoopbackServer.StartAsync();
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = Chromium,
            Headless = true,
            Args = ["--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"],               // --no-sandbox: CI runs as root
        });
        var page = await browser.NewPageAsync(new BrowserNewPageOptions { ViewportSize = new ViewportSize { Width = 1000, Height = 900 } });
        page.Console += (_, message) => output.WriteLine($"console.{message.Type}: {message.Text}");
        await page.AddInitScriptAsync("window.progressEvents = []; " +
            "document.addEventListener('fastattn:progress', e => window.progressEvents.push(e.detail));");
        await page.GotoAsync(server.Url.ToString());
        await page.Locator("body[data-state=ready]").WaitForAsync();

        Assert.Contains("tiny-mnist", await page.GetByLabel("Model").Locator("option").AllTextContentsAsync());
        Assert.Contains("D2", await page.GetByLabel("Preset").Locator("option").AllTextContentsAsync());
        await page.GetByLabel("Prompt").FillAsync("a handwritten seven");
        await page.GetByLabel("Preset").SelectOptionAsync("D2");
        await page.GetByLabel("Seed").FillAsync("7");
        var status = page.Locator("#status");
        await page.GetByRole(AriaRole.Button, new() { Name = "Generate" }).ClickAsync();
        await page.Locator("body[data-state=done], body[data-state=error]").WaitForAsync(new() { Timeout = 300_000 });
        Assert.Equal("done", await page.Locator("body").GetAttributeAsync("data-state"));

        var image = page.Locator("#result img.result-image").First;
        var src = (await image.GetAttributeAsync("src"))!;
        Assert.StartsWith("data:image/png;base64,", src, StringComparison.Ordinal);
        var (width, height) = Png.Size(Convert.FromBase64String(src["data:image/png;base64,".Length..]));
        Assert.Equal((32, 32), (width, height));                                                   // tiny-mnist's size
        Assert.Equal(($"{width}", $"{height}"), (await image.GetAttributeAsync("data-width"), await image.GetAttributeAsync("data-height")));
        Assert.True(await image.EvaluateAsync<bool>("img => img.complete && img.naturalWidth === 32"), "the browser decoded the PNG");
        var facts = await page.Locator("#result dl").InnerTextAsync();
        Assert.Contains("D2", facts, StringComparison.Ordinal);
        Assert.Contains("Attention FLOPs", facts, StringComparison.Ordinal);
        Assert.Contains(" s", facts, StringComparison.Ordinal);
        Assert.Equal(1, await page.Locator("#gallery li").CountAsync());
        var steps = await page.Locator("#progress").GetAttributeAsync("max");
        Assert.Equal("25", steps);                                                 // set by the SSE progress events (tiny-mnist: 25 steps)
        var value = await page.Locator("#progress").EvaluateAsync<double>("p => p.value");
        Assert.Equal(steps, value.ToString(System.Globalization.CultureInfo.InvariantCulture));
        var json = await page.EvaluateAsync<string>("JSON.stringify(window.progressEvents)");
        var events = JsonSerializer.Deserialize<ProgressEvent[]>(json, new JsonSerializerOptions(JsonSerializerDefaults.Web))!;
        Assert.NotEmpty(events);
        Assert.Equal((25, 25, "D2"), (events[^1].Step, events[^1].Steps, events[^1].Preset));
        output.WriteLine("SSE progress seen by the page: " + string.Join(", ", events.Select(e => $"{e.Step}/{e.Steps} {e.Preset}")));
        output.WriteLine($"status: {await status.InnerTextAsync()}");
        output.WriteLine($"facts: {facts.Replace('\n', ' ')}");

        var screenshot = Path.Combine(AppContext.BaseDirectory, "screenshots", "web-page.png");
        Directory.CreateDirectory(Path.GetDirectoryName(screenshot)!);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = screenshot, FullPage = true });
        Assert.True(Png.Size(await File.ReadAllBytesAsync(screenshot)).Width > 0);
        output.WriteLine($"screenshot: {screenshot}");
        Console.WriteLine($"web page screenshot: {screenshot}");
    }
}

/// <summary>A <c>progress</c> event as the page passed it on.</summary>
public sealed record ProgressEvent(int Step, int Steps, string Preset);
