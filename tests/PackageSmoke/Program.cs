using FastAttn.Plugin.DependencyInjection;
using FastAttn.Plugin.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

var builder = Host.CreateApplicationBuilder(args);
builder.Services.AddFastAttn(o => { o.Device = "cpu"; o.OutputDirectory = Path.Combine(AppContext.BaseDirectory, "images"); });
using var host = builder.Build();
await host.StartAsync();
var result = await host.Services.GetRequiredService<IFastAttnEngine>().GenerateAsync(new FastAttnImageRequest { Prompt = "3", Seed = 1, Steps = 5, Preset = "raw" });
Console.WriteLine($"Saved {result.Images[0].Path} ({result.Width}x{result.Height}, model {result.Model})");
await host.StopAsync();
