using System.ComponentModel.DataAnnotations;
using DistSync.Node.Hosting;

namespace DistSync.Tests.Hosting;

/// <summary>The <c>DistSync:Redis</c> ranges a node checks at start (its options are validated by their annotations).</summary>
public sealed class RedisOptionsTests
{
    [Fact]
    public void Defaults_WaitForNoReplica_AndAreValid()
    {
        var options = new RedisOptions();

        Assert.Equal(0, options.WaitReplicas);
        Assert.Equal(TimeSpan.FromSeconds(1), options.WaitTimeout);
        Assert.Empty(Validate(options));
    }

    [Theory]
    [InlineData(-1, 1000, nameof(RedisOptions.WaitReplicas))]
    [InlineData(17, 1000, nameof(RedisOptions.WaitReplicas))]
    [InlineData(1, 5, nameof(RedisOptions.WaitTimeout))]
    [InlineData(1, 4001, nameof(RedisOptions.WaitTimeout))]
    public void OutOfRange_IsRefused_NamingTheSetting(int replicas, int timeoutMs, string setting)
    {
        var errors = Validate(new RedisOptions { WaitReplicas = replicas, WaitTimeout = TimeSpan.FromMilliseconds(timeoutMs) });

        Assert.Equal(setting, Assert.Single(Assert.Single(errors).MemberNames));
    }

    private static List<ValidationResult> Validate(RedisOptions options)
    {
        var errors = new List<ValidationResult>();
        Validator.TryValidateObject(options, new ValidationContext(options), errors, validateAllProperties: true);
        return errors;
    }
}
