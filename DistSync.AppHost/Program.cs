Console.WriteLine("DistSync AppHost");
