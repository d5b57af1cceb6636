return await Formation.Silo.Hosting.SiloProgram.RunAsync(args);
