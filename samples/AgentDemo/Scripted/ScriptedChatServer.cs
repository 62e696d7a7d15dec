using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace FastAttn.AgentDemo.Scripted;

/// <summary>
/// A scripted OpenAI-compatible chat model on a loopback port (<c>POST …/chat/completions</c>, non-streaming): with no tool
/// result yet in the conversation it answers with a call to the offered tool whose name ends in <see cref="ToolName"/>, its
/// <c>prompt</c> argument the last user message; once a tool result is in the conversation it answers with text that
/// quotes it. So any OpenAI chat client — Semantic Kernel's connector with <c>FunctionChoiceBehavior.Auto()</c> included —
/// runs its real tool-calling loop without a network. Every request body is recorded in <see cref="Requests"/>.
/// Shared by samples/AgentDemo (offline mode) and the tests (linked source).
/// </summary>
public sealed class ScriptedChatServer : IAsyncDisposable
{
    private readonly HttpListener _listener;
    private readonly Task _loop;
    private readonly ConcurrentQueue<JsonObject> _requests = new();
    private int _calls;

    private ScriptedChatServer(HttpListener listener, int port, string toolName)
    {
        _listener = listener;
        ToolName = toolName;
        Endpoint = new Uri($"http://127.0.0.1:{port}/v1");
        _loop = Task.Run(ServeAsync);
    }

    /// <summary>The OpenAI base URL to give a client (<c>http://127.0.0.1:PORT/v1</c>).</summary>
    public Uri Endpoint { get; }

    /// <summary>The tool the model calls (matched as the end of the offered function's name, e.g. <c>fastattn-generate_image</c>).</summary>
    public string ToolName { get; }

    /// <summary>The chat requests received so far, in order (their JSON bodies).</summary>
    public IReadOnlyList<JsonObject> Requests => [.. _requests];

    /// <summary>Starts the model on a free loopback port.</summary>
    public static ScriptedChatServer Start(string toolName = "generate_image")
    {
        for (int attempt = 0; ; attempt++)
        {
            var probe = new TcpListener(IPAddress.Loopback, 0);
            probe.Start();
            int port = ((IPEndPoint)probe.LocalEndpoint).Port;
            probe.Stop();
            var listener = new HttpListener();
            listener.Prefixes.Add($"http://127.0.0.1:{port}/");
            try
            {
                listener.Start();
                return new ScriptedChatServer(listener, port, toolName);
            }
            catch (HttpListenerException) when (attempt < 5) { listener.Close(); }                 // the port was taken meanwhile
        }
    }

    private async Task ServeAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try { context = await _listener.GetContextAsync().ConfigureAwait(false); }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException) { return; }
            _ = Task.Run(() => HandleAsync(context));
        }
    }

    private async Task HandleAsync(HttpListenerContext context)
    {
        var response = context.Response;
        try
        {
            var path = context.Request.Url?.AbsolutePath ?? "";
            if (context.Request.HttpMethod != "POST" || !path.EndsWith("/chat/completions", StringComparison.Ordinal))
            {
                await WriteAsync(response, 404, Error("Only POST …/chat/completions is scripted.")).ConfigureAwait(false);
                return;
            }
            using var reader = new StreamReader(context.Request.InputStream, Encoding.UTF8);
            var body = JsonNode.Parse(await reader.ReadToEndAsync().ConfigureAwait(false)) as JsonObject;
            if (body?["messages"] is not JsonArray messages)
            {
                await WriteAsync(response, 400, Error("The request has no messages.")).ConfigureAwait(false);
                return;
            }
            _requests.Enqueue(body);
            await WriteAsync(response, 200, Reply(body, messages)).ConfigureAwait(false);
        }
        catch (Exception e) when (e is JsonException or HttpListenerException or IOException)
        {
            try { await WriteAsync(response, 400, Error(e.Message)).ConfigureAwait(false); }
            catch (Exception inner) when (inner is HttpListenerException or IOException or ObjectDisposedException or InvalidOperationException) { }
        }
    }

    /// <summary>The scripted turn: a tool call while no tool result has come back, then text quoting the result.</summary>
    private JsonObject Reply(JsonObject body, JsonArray messages)
    {
        int n = Interlocked.Increment(ref _calls);
        var model = body["model"]?.GetValue<string>() ?? "scripted";
        var toolResults = messages.OfType<JsonObject>().Where(m => Text(m["role"]) == "tool").Select(m => Text(m["content"])).ToList();
        var tool = (body["tools"] as JsonArray)?.OfType<JsonObject>().Select(t => Text(t["function"]?["name"]))
            .FirstOrDefault(name => name.EndsWith(ToolName, StringComparison.Ordinal));
        JsonObject message;
        string finish;
        if (toolResults.Count > 0 || tool is null)
        {
            var text = toolResults.Count > 0 ? $"Done. The tool said: {toolResults[^1]}" : $"I was offered no {ToolName} tool, so I cannot draw.";
            (message, finish) = (new JsonObject { ["role"] = "assistant", ["content"] = text }, "stop");
        }
        else
        {
            var prompt = messages.OfType<JsonObject>().LastOrDefault(m => Text(m["role"]) == "user") is { } user ? Text(user["content"]) : "";
            var call = new JsonObject
            {
                ["id"] = $"call_{n}",
                ["type"] = "function",
                ["function"] = new JsonObject { ["name"] = tool, ["arguments"] = new JsonObject { ["prompt"] = prompt }.ToJsonString() },
            };
            (message, finish) = (new JsonObject { ["role"] = "assistant", ["content"] = null, ["tool_calls"] = new JsonArray(call) }, "tool_calls");
        }
        return new JsonObject
        {
            ["id"] = $"chatcmpl-scripted-{n}",
            ["object"] = "chat.completion",
            ["created"] = DateTimeOffset.UtcNow.ToUnixTimeSeconds(),
            ["model"] = model,
            ["choices"] = new JsonArray(new JsonObject { ["index"] = 0, ["message"] = message, ["finish_reason"] = finish, ["logprobs"] = null }),
            ["usage"] = new JsonObject { ["prompt_tokens"] = 1, ["completion_tokens"] = 1, ["total_tokens"] = 2 },
        };
    }

    /// <summary>A message's text: a string, or the concatenated text parts of a content array.</summary>
    private static string Text(JsonNode? node) => node switch
    {
        JsonValue v when v.TryGetValue<string>(out var s) => s,
        JsonArray parts => string.Concat(parts.OfType<JsonObject>().Select(p => Text(p["text"]))),
        _ => "",
    };

    private static JsonObject Error(string message) =>
        new() { ["error"] = new JsonObject { ["message"] = message, ["type"] = "invalid_request_error", ["param"] = null, ["code"] = null } };

    private static async Task WriteAsync(HttpListenerResponse response, int status, JsonObject json)
    {
        var bytes = Encoding.UTF8.GetBytes(json.ToJsonString());
        response.StatusCode = status;
        response.ContentType = "application/json";
        response.ContentLength64 = bytes.Length;
        await response.OutputStream.WriteAsync(bytes).ConfigureAwait(false);
        response.Close();
    }

    /// <summary>Stops listening and waits for the accept loop to end.</summary>
    public async ValueTask DisposeAsync()
    {
        _listener.Stop();
        _listener.Close();
        await _loop.ConfigureAwait(false);
    }
}
