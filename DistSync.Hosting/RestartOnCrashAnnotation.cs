namespace DistSync.Hosting;

/// <summary>A resource the <see cref="CrashRestarter"/> supervises: the nodes, and the Redis the AppHost runs itself.</summary>
public sealed record RestartOnCrashAnnotation : IResourceAnnotation;
