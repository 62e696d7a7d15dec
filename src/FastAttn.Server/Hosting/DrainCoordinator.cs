using Microsoft.Extensions.Options;

namespace FastAttn.Server.Hosting;

/// <summary>
/// Graceful shutdown: when the host begins stopping, new work is refused (503, <see cref="IsDraining"/>); the generations
/// in flight get <see cref="FastAttnServerOptions.DrainTimeout"/> to finish, then are cancelled. It drains in
/// <see cref="IHostedLifecycleService.StoppingAsync"/>, which the host runs before stopping any service: the web server still
/// answers (503 to new work, the results of work in flight), and the engine still runs.
/// </summary>
public sealed class DrainCoordinator(IOptions<FastAttnServerOptions> options, TimeProvider time, ILogger<DrainCoordinator> logger)
    : IHostedLifecycleService
{
    private readonly Lock _lock = new();
    private readonly HashSet<Flight> _flights = [];
    private readonly TaskCompletionSource _draining = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Whether the server refuses new work.</summary>
    public bool IsDraining => _draining.Task.IsCompleted;

    /// <summary>Completes when draining begins (tests wait on it).</summary>
    public Task Draining => _draining.Task;

    /// <summary>Generations in flight.</summary>
    public int InFlight
    {
        get { lock (_lock) return _flights.Count; }
    }

    /// <summary>
    /// Records a generation in flight until <paramref name="task"/> ends; <paramref name="cancel"/> stops it when the drain
    /// times out. Throws <see cref="Errors.ServerDrainingException"/> once draining.
    /// </summary>
    public void Track(Task task, Action cancel)
    {
        ArgumentNullException.ThrowIfNull(task);
        var flight = new Flight(task, cancel);
        lock (_lock)
        {
            if (IsDraining) throw new Errors.ServerDrainingException();
            _flights.Add(flight);
        }
        task.ContinueWith(_ => { lock (_lock) _flights.Remove(flight); }, CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    /// <summary>Throws <see cref="Errors.ServerDrainingException"/> when draining.</summary>
    public void ThrowIfDraining()
    {
        if (IsDraining) throw new Errors.ServerDrainingException();
    }

    /// <inheritdoc />
    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <inheritdoc />
    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <inheritdoc />
    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <inheritdoc />
    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <inheritdoc />
    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <inheritdoc />
    public async Task StoppingAsync(CancellationToken cancellationToken)
    {
        Flight[] flights;
        lock (_lock)
        {
            _draining.TrySetResult();
            flights = [.. _flights];
        }
        if (flights.Length == 0) return;
        logger.LogInformation("Draining: waiting up to {Timeout} for {Count} generation(s) in flight", options.Value.DrainTimeout, flights.Length);
        var all = Task.WhenAll(flights.Select(f => f.Task));
        try
        {
            await all.WaitAsync(options.Value.DrainTimeout, time, cancellationToken).ConfigureAwait(false);
            return;
        }
        catch (TimeoutException) { }
        catch (OperationCanceledException) { }
        catch (Exception) when (all.IsCompleted) { return; }                                   // finished, some with errors: answered already
        logger.LogWarning("Drain timed out: cancelling {Count} generation(s)", flights.Count(f => !f.Task.IsCompleted));
        foreach (var flight in flights) flight.Cancel();
        try { await all.ConfigureAwait(false); }
        catch (Exception) { }                                                                  // cancelled: each caller got its answer
    }

    private sealed record Flight(Task Task, Action Cancel);
}
