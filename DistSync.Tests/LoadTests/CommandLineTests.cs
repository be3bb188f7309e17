using DistSync.LoadTests.Cli;

namespace DistSync.Tests.LoadTests;

public sealed class CommandLineTests
{
    [Fact]
    public void Parse_NameValuePairs_ReadsTypedValues()
    {
        var options = CommandLine.Parse(["--seconds", "5", "--levels", "1, 16,64", "--via", "followers", "--warmup", "0"]);

        Assert.Equal(5, options.Int("seconds", 10));
        Assert.Equal([1, 16, 64], options.IntList("levels", [2]));
        Assert.Equal("followers", options.Choice("via", "leader", "leader", "followers"));
        Assert.Equal(0, options.NonNegativeInt("warmup", 1));
        Assert.Equal(7, options.Int("max-ops", 7));
    }

    [Fact]
    public void Parse_SingleDashNames_AreAcceptedAsInTheHttpCommand()
    {
        var options = CommandLine.Parse(["-n", "20000", "-c", "50"]);

        Assert.Equal((20_000, 50), (options.Int("n", 1), options.Int("c", 1)));
    }

    [Fact]
    public void Urls_NotGiven_AreTheAppHostDefaults()
    {
        var urls = CommandLine.Parse([]).Urls();

        Assert.Equal(["http://127.0.0.1:8001/", "http://127.0.0.1:8002/", "http://127.0.0.1:8003/"], urls.Select(u => u.ToString()));
    }

    [Fact]
    public void Urls_Given_AreParsedInOrder()
    {
        var urls = CommandLine.Parse(["--urls", "http://127.0.0.1:8101,http://localhost:8103"]).Urls();

        Assert.Equal(["http://127.0.0.1:8101/", "http://localhost:8103/"], urls.Select(u => u.ToString()));
    }

    [Theory]
    [InlineData("--seconds", "0")]
    [InlineData("--seconds", "-3")]
    [InlineData("--seconds", "ten")]
    [InlineData("--levels", "1,x")]
    [InlineData("--levels", ",")]
    [InlineData("--urls", "ftp://host")]
    [InlineData("--urls", "127.0.0.1:8001")]
    [InlineData("--via", "everyone")]
    public void Accessors_BadValue_ThrowNamingTheOption(string name, string value)
    {
        var options = CommandLine.Parse([name, value]);

        var error = Assert.Throws<ArgumentException>(() =>
        {
            _ = options.Int("seconds", 1);
            _ = options.IntList("levels", [1]);
            _ = options.Urls();
            _ = options.Choice("via", "leader", "leader", "followers");
        });
        Assert.Contains(name, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void IntList_MoreThanTheCap_Throws()
    {
        var options = CommandLine.Parse(["--levels", string.Join(',', Enumerable.Range(1, CommandLine.MaxListItems + 1))]);

        Assert.Throws<ArgumentException>(() => options.IntList("levels", [1]));
    }

    [Theory]
    [InlineData("--seconds")]
    [InlineData("seconds", "5")]
    [InlineData("--seconds", "5", "--seconds", "6")]
    public void Parse_Malformed_Throws(params string[] args) =>
        Assert.Throws<ArgumentException>(() => CommandLine.Parse(args));

    [Fact]
    public void OnlyAllow_UnknownOption_ThrowsNamingIt()
    {
        var options = CommandLine.Parse(["--secnds", "5"]);

        var error = Assert.Throws<ArgumentException>(() => options.OnlyAllow("seconds", "urls"));
        Assert.Contains("--secnds", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Redact_TokenValue_IsPrintedAndReportedOnlyAsAPrefix()
    {
        const string token = "0123456789abcdef0123";

        var shown = string.Join(' ', ApiToken.Redact(["locks", "--token", token, "--seconds", "5", "-token", token]));

        Assert.Equal("locks --token 0123… --seconds 5 -token 0123…", shown);
    }
}
