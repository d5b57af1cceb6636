Console.WriteLine("form");
