Console.WriteLine("silo");
