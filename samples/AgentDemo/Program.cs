// AgentDemo: an AI agent that draws images with FastAttn through a Semantic Kernel tool.
//
//   dotnet run --project samples/AgentDemo -- "draw the digit 7"
//
// With a chat model configured (Chat:Endpoint / Chat:Model / Chat:ApiKey in appsettings.json, or the environment
// variables FASTATTN_CHAT_ENDPOINT, FASTATTN_CHAT_MODEL, FASTATTN_CHAT_API_KEY; any OpenAI-compatible server, e.g. a
// local one), the model decides to call the generate_image tool (FunctionChoiceBehavior.Auto). Without one the demo
// runs offline, says so, and talks to a scripted OpenAI-compatible chat model on a loopback port (Scripted/
// ScriptedChatServer.cs, the one the tests use): the same connector and tool-calling loop, no network.
using FastAttn.AgentDemo.Scripted;
using FastAttn.Plugin.DependencyInjection;
using FastAttn.Plugin.SemanticKernel;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.SemanticKernel;
using Microsoft.SemanticKernel.ChatCompletion;
using Microsoft.SemanticKernel.Connectors.OpenAI;

var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { Args = [], ContentRootPath = AppContext.BaseDirectory });
builder.Configuration.AddEnvironmentVariables();
builder.Services.AddFastAttn(builder.Configuration);  // the local engine (a cluster client app adds FastAttn.Cluster: see docs/cluster.md)

string? endpoint = First(builder.Configuration["FASTATTN_CHAT_ENDPOINT"], builder.Configuration["Chat:Endpoint"]);
string? chatModel = First(builder.Configuration["FASTATTN_CHAT_MODEL"], builder.Configuration["Chat:Model"]);
string? apiKey = First(builder.Configuration["FASTATTN_CHAT_API_KEY"], builder.Configuration["Chat:ApiKey"]);
bool online = endpoint is not null && chatModel is not null;
await using var scripted = online ? null : ScriptedChatServer.Start();

var kernelBuilder = builder.Services.AddKernel();
kernelBuilder.Plugins.AddFromType<FastAttnImagePlugin>("fastattn");
if (online) kernelBuilder.AddOpenAIChatCompletion(chatModel!, new Uri(endpoint!), apiKey ?? "unused");
else kernelBuilder.AddOpenAIChatCompletion("scripted", scripted!.Endpoint, "offline");

using var host = builder.Build();
using var stop = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) => { e.Cancel = true; stop.Cancel(); };
await host.StartAsync(stop.Token);
var kernel = host.Services.GetRequiredService<Kernel>();
var request = args.Length > 0 ? string.Join(' ', args) : "draw the digit 7";
Console.WriteLine($"You: {request}");
try
{
    Console.WriteLine(online ? $"[agent: {chatModel} at {endpoint}]"
        : $"[offline: no chat model configured (set FASTATTN_CHAT_ENDPOINT and FASTATTN_CHAT_MODEL for a real one); a scripted chat " +
          $"model at {scripted!.Endpoint} answers with a generate_image tool call, then with text]");
    var chat = kernel.GetRequiredService<IChatCompletionService>();
    var history = new ChatHistory("You are an assistant that can draw images with the generate_image tool. " +
                                  "When asked for a picture, call the tool, then tell the user where the file is.");
    history.AddUserMessage(request);
    var settings = new OpenAIPromptExecutionSettings { FunctionChoiceBehavior = FunctionChoiceBehavior.Auto() };
    var reply = await chat.GetChatMessageContentAsync(history, settings, kernel, stop.Token);
    foreach (var call in history.SelectMany(m => m.Items).OfType<FunctionCallContent>())
    {
        var arguments = string.Join(", ", call.Arguments?.Select(a => $"{a.Key}: {a.Value}") ?? []);
        Console.WriteLine($"[tool call: {call.PluginName}.{call.FunctionName}({arguments})]");
    }
    foreach (var result in history.SelectMany(m => m.Items).OfType<FunctionResultContent>())
        Console.WriteLine($"Tool: {result.Result}");
    Console.WriteLine($"Agent: {reply.Content}");
}
catch (OperationCanceledException)
{
    Console.WriteLine("Cancelled.");
    return 130;
}
finally
{
    await host.StopAsync(CancellationToken.None);
}
return 0;

static string? First(params string?[] values) => values.FirstOrDefault(v => !string.IsNullOrWhiteSpace(v));
