using System.Text.Json.Nodes;
using FastAttn.AgentDemo.Scripted;
using FastAttn.Plugin.SemanticKernel;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.SemanticKernel;
using Microsoft.SemanticKernel.ChatCompletion;
using Microsoft.SemanticKernel.Connectors.OpenAI;
using Xunit;

namespace FastAttn.Plugin.Tests;

/// <summary>
/// Semantic Kernel's own automatic function calling (<c>FunctionChoiceBehavior.Auto()</c>) through its OpenAI chat connector,
/// against the scripted OpenAI-compatible chat model on loopback that samples/AgentDemo's offline mode also uses.
/// </summary>
[Collection(EngineCollection.Name)]
public sealed class AgentLoopTests
{
    [Fact]
    public async Task TheConnectorsAutoLoopCallsGenerateImageAndSendsTheResultBack()
    {
        await using var host = await TestHost.StartAsync();
        await using var model = ScriptedChatServer.Start();
        using var http = new HttpClient();
        var builder = Kernel.CreateBuilder();
        builder.Plugins.AddFromObject(host.Services.GetRequiredService<FastAttnImagePlugin>(), "fastattn");
        builder.AddOpenAIChatCompletion("scripted", model.Endpoint, "test-key", httpClient: http);
        var kernel = builder.Build();

        var history = new ChatHistory("You draw images with the generate_image tool.");
        history.AddUserMessage("draw the digit 7");
        var settings = new OpenAIPromptExecutionSettings { FunctionChoiceBehavior = FunctionChoiceBehavior.Auto() };
        var reply = await kernel.GetRequiredService<IChatCompletionService>().GetChatMessageContentAsync(history, settings, kernel);

        Assert.Equal(2, model.Requests.Count);                                                  // the call, then the answer
        var offered = model.Requests[0]["tools"]!.AsArray().Select(t => t!["function"]!["name"]!.GetValue<string>()).ToList();
        Assert.Contains("fastattn-generate_image", offered);
        var call = Assert.Single(history.SelectMany(m => m.Items).OfType<FunctionCallContent>());
        Assert.Equal(("fastattn", "generate_image"), (call.PluginName, call.FunctionName));
        var toolMessage = model.Requests[1]["messages"]!.AsArray().OfType<JsonObject>().Single(m => m["role"]!.GetValue<string>() == "tool");
        Assert.Equal(call.Id, toolMessage["tool_call_id"]!.GetValue<string>());
        var toolText = ContentText(toolMessage["content"]);
        Assert.StartsWith("Saved the image to ", toolText, StringComparison.Ordinal);                 // the tool ran and its result came back
        Assert.Contains("class \"7\"", toolText, StringComparison.Ordinal);
        var path = toolText["Saved the image to ".Length..].Split(' ')[0];
        Assert.True(File.Exists(path), path);
        Assert.StartsWith(host.Output, path, StringComparison.Ordinal);
        Assert.Equal("Done. The tool said: " + toolText, reply.Content);
    }

    private static string ContentText(JsonNode? content) => content switch
    {
        JsonArray parts => string.Concat(parts.Select(p => p!["text"]?.GetValue<string>())),
        _ => content!.GetValue<string>(),
    };
}
