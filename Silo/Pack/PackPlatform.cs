// The image builder needs Linux (namespaces, overlayfs, mkfs.ext4); so does the whole silo (KVM, TAP).
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]
