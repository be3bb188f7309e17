namespace DistSync.Tests.Infrastructure;

/// <summary>Waits for a condition (never for a fixed time): polls until it holds or the deadline passes.</summary>
public static class Eventually
{
    public static async Task<T> UntilAsync<T>(Func<Task<T?>> probe, TimeSpan timeout, string what)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        deadline.CancelAfter(timeout);
        Exception? last = null;
        while (!deadline.IsCancellationRequested)
        {
            try
            {
                if (await probe() is { } value)
                {
                    return value;
                }
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or IOException)
            {
                last = ex;
            }

            try
            {
                await Task.Delay(25, deadline.Token);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }

        throw new TimeoutException($"Not true after {timeout.TotalSeconds:F1} s: {what}.{(last is null ? "" : $" Last error: {last.Message}")}");
    }

    public static Task UntilAsync(Func<Task<bool>> condition, TimeSpan timeout, string what) =>
        UntilAsync<object>(async () => await condition() ? new object() : null, timeout, what);

    public static Task UntilAsync(Func<bool> condition, TimeSpan timeout, string what) =>
        UntilAsync(() => Task.FromResult(condition()), timeout, what);
}
