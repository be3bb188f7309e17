using System.Runtime.InteropServices;
using DistSync.AppHost.Hosting;

AppHostOptions options;
try
{
    options = AppHostOptions.Parse(args);
}
catch (HelpRequestedException)
{
    Console.WriteLine(AppHostOptions.Usage);
    return 0;
}
catch (AppHostException ex)
{
    Console.Error.WriteLine($"error: {ex.Message}");
    return 2;
}

using var shutdown = new CancellationTokenSource();
// Ctrl+C and SIGTERM both stop every child before the AppHost exits.
using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);

try
{
    await using var session = await AppHostSession.StartAsync(options, shutdown.Token);
    ConsoleEcho.Summary(session);
    await session.App.WaitForShutdownAsync(shutdown.Token);
    Console.WriteLine("Stopping...");
    return 0;
}
catch (AppHostException ex)
{
    Console.Error.WriteLine($"error: {ex.Message}");
    return 1;
}
catch (OperationCanceledException) when (shutdown.IsCancellationRequested)
{
    return 0;
}

void Stop(PosixSignalContext context)
{
    context.Cancel = true;
    shutdown.Cancel();
}
