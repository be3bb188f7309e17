Console.WriteLine("DistSync load tests");
