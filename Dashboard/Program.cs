return await Formation.Dashboard.Hosting.DashboardProgram.RunAsync(args);
