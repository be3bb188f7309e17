namespace DistSync.AppHost.Hosting;

/// <summary>A problem the user can fix: its message is one line that says what to do.</summary>
public sealed class AppHostException(string message) : Exception(message);
