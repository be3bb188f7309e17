using DistSync.Client;

namespace DistSync.Tests.Client;

/// <summary>A hosted consumer's failed message comes back later each time: the retry delay doubles per delivery, to a cap.</summary>
public sealed class QueueConsumerSettingsTests
{
    [Theory]
    [InlineData(1, 1_000)]
    [InlineData(2, 2_000)]
    [InlineData(4, 8_000)]
    [InlineData(11, 900_000)] // 1,024 s would pass the queue's longest delay, 15 minutes
    [InlineData(1_000, 900_000)]
    public void RetryDelay_DoublesPerDelivery_UpToFifteenMinutes(int deliveryCount, double expectedMs)
    {
        var settings = new QueueConsumerSettings("orders", 1, new ConsumeOptions(), TimeSpan.FromSeconds(1));

        Assert.Equal(TimeSpan.FromMilliseconds(expectedMs), settings.RetryDelayOf(deliveryCount));
    }

    [Fact]
    public void RetryDelay_Zero_BringsItBackAtOnce_Always() =>
        Assert.Equal(TimeSpan.Zero, new QueueConsumerSettings("orders", 1, new ConsumeOptions(), TimeSpan.Zero).RetryDelayOf(7));
}
